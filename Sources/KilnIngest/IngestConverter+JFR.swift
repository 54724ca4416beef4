import KilnJFR
import KilnModel
import KilnPprof

extension IngestConverter {
    /// `format=jfr`, as pyroscope-java sends it: the recording as the body,
    /// or as the multipart field `jfr` with the optional `labels` field
    /// (`JFRLabelsSnapshot`), each gzipped or not
    /// (shared/reference/pyroscope-api.md §3.3).
    ///
    /// One profile per kind of sample the recording holds (`JFRSampleKind`),
    /// labelled as Pyroscope labels them: `__name__` from the kind,
    /// `jfr_event` from async-profiler's `event` setting, `pyroscope_spy`,
    /// `service_name` (or `app_name` when the user gave one) and the user's
    /// labels; the snapshot's labels of each event's `contextId` become
    /// sample labels, which split the profile into series.
    ///
    /// A corrupt or truncated recording is refused whole (422 with the byte
    /// offset): nothing of it is stored.
    static func jfr(_ request: IngestRequest, contentType: String?, body: [UInt8], maxProfileBytes: Int, limits: IngestLimits)
        throws(IngestError) -> [IngestProfile]
    {
        // As Pyroscope: max_profile_size_bytes bounds the recording (and its
        // labels) once decompressed, not the profiles made of it.
        let bound = limits.maxProfileSizeBytes > 0 ? min(limits.maxProfileSizeBytes, maxProfileBytes) : maxProfileBytes
        var recording = body
        var snapshot = JFRLabelsSnapshot()
        if let contentType, contentType.lowercased().contains("multipart/form-data") {
            guard let boundary = Multipart.boundary(contentType: contentType) else {
                throw IngestError(.invalidArgument, "multipart/form-data Content-Type without a boundary")
            }
            let parts = try Multipart.parse(body, boundary: boundary)
            guard let jfrPart = parts.first(where: { $0.name == "jfr" }) else {
                throw IngestError(.unprocessable, "jfr field is required: the multipart upload has no \"jfr\" part")
            }
            recording = jfrPart.body
            if let labels = parts.first(where: { $0.name == "labels" }), !labels.body.isEmpty {
                let raw = try decompressed(labels.body, maxBytes: bound, limits: limits, what: "labels")
                do { snapshot = try JFRLabelsSnapshot(protobuf: raw) } catch {
                    throw IngestError(.unprocessable, "failed to parse labels form field: \(error)")
                }
            }
        }
        recording = try decompressed(recording, maxBytes: bound, limits: limits, what: "jfr")
        var builders = JFRProfileBuilders(request: request, snapshot: snapshot)
        do { try JFRRecording.forEachChunk(recording) { builders.add($0) } } catch {
            throw IngestError(.unprocessable, "invalid JFR recording: \(error)")
        }

        var out: [IngestProfile] = []
        let built = builders.build()
        for (i, (kind, profile)) in built.enumerated() {
            var profile = profile
            try limits.apply(to: &profile, context: "jfr \(kind.name)")
            try ProfileDecoding.checkValues(profile)
            var labels = userLabels(request, keepingReserved: false)
            let serviceLabel = labels.contains { $0.name == ReservedLabels.serviceName } ? "app_name" : ReservedLabels.serviceName
            labels.append(Label("pyroscope_spy", request.spyName))
            labels.append(Label(serviceLabel, request.appName))
            if !builders.event.isEmpty { labels.append(Label("jfr_event", builders.event)) }
            labels.append(Label(ReservedLabels.name, kind.metric))
            // The rate limit counts the upload once: its size shared out over the profiles.
            let share = body.count / built.count + (i < body.count % built.count ? 1 : 0)
            out.append(try ingestProfile(labels, profile, request, limits: limits, sizeBytes: share))
        }
        return out
    }

    /// `bytes`, gunzipped when they start with gzip's magic, at most `maxBytes`.
    static func decompressed(_ bytes: [UInt8], maxBytes: Int, limits: IngestLimits, what: String) throws(IngestError) -> [UInt8] {
        do { return try PprofDecoder.uncompressed(bytes, maxDecompressedBytes: maxBytes) } catch {
            guard error.tooLarge else { throw IngestError(.unprocessable, "\(what): \(error)") }
            // Pyroscope's wording, and the limit's name.
            throw IngestError(
                .tooLarge,
                "\(what): decompressed size exceeds maximum allowed size (max_profile_size_bytes \(limits.maxProfileSizeBytes) bytes, uncompressed)")
        }
    }
}
