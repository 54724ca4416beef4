import KilnPprof

/// Decoding and value checks shared by every ingest path.
enum ProfileDecoding {
    /// Decodes a pprof upload, mapping decoder errors to ingest errors
    /// (`tooLarge` for size limits, `unprocessable` for malformed bytes and
    /// strings that are not UTF-8: 422 on `/ingest`, 400 on Push, as Pyroscope),
    /// applies the tenant's `limits`, and rejects profiles whose positive
    /// values of one type sum past 64 bits, so nothing downstream can
    /// overflow on them.
    /// - Parameter maxBytes: the server's bound on any decompressed payload.
    /// - Returns: the profile and its uncompressed size (what ingestion rates count).
    /// - Parameter repairingZeroFunctionIDs: `PprofDecoder.decodeRaw`'s dotnetspy repair.
    static func decode(
        _ bytes: [UInt8], maxBytes: Int, limits: IngestLimits, context: String, repairingZeroFunctionIDs: Bool = false
    ) throws(IngestError) -> (Profile, size: Int) {
        var profile: Profile
        let size: Int
        /// `message` after the context, built only for an error.
        func located(_ message: String) -> String { context.isEmpty ? message : "\(context): \(message)" }
        let tenantBound = limits.maxProfileSizeBytes > 0 && limits.maxProfileSizeBytes < maxBytes
        do {
            let raw = try PprofDecoder.uncompressed(bytes, maxDecompressedBytes: tenantBound ? limits.maxProfileSizeBytes : maxBytes)
            size = raw.count
            profile = try PprofDecoder.decodeRaw(raw, repairingZeroFunctionIDs: repairingZeroFunctionIDs)
        } catch {
            if error.tooLarge && tenantBound {
                throw IngestError(
                    .tooLarge, located("profile is larger than max_profile_size_bytes (\(limits.maxProfileSizeBytes) bytes, uncompressed)"))
            }
            throw IngestError(error.tooLarge ? .tooLarge : .unprocessable, located("\(error)"))
        }
        // Pyroscope's fixes of Go profiles (FixGoProfile), before the limits:
        // a repaired stack is what the depth limit judges.
        if GoTruncatedStacks.isGo(profile) {
            GoTypeParameters.drop(&profile)
            if GoTruncatedStacks.mayBeTruncated(profile) { GoTruncatedStacks.repair(&profile) }
        }
        try validate(&profile, limits: limits, context: context)
        return (profile, size)
    }

    /// The checks every profile passes whatever it was decoded from: strings
    /// are UTF-8, the tenant's `limits` hold (`IngestLimits.apply` may trim),
    /// and values do not overflow (`checkValues`).
    static func validate(_ profile: inout Profile, limits: IngestLimits, context: String) throws(IngestError) {
        if let bad = profile.strings.firstInvalidUTF8() {
            let message = "invalid profile: string \(bad) of the string table is not valid UTF-8"
            throw IngestError(.unprocessable, context.isEmpty ? message : "\(context): \(message)")
        }
        try limits.apply(to: &profile, context: context)
        try checkValues(profile)
    }

    static func checkValues(_ p: Profile) throws(IngestError) {
        let n = p.sampleTypes.count
        guard n > 0 else { return }
        var sums = [Int64](repeating: 0, count: n)
        for (i, v) in p.sampleValues.enumerated() where v > 0 {
            let (s, overflow) = sums[i % n].addingReportingOverflow(v)
            guard !overflow else {
                throw IngestError(.unprocessable, "the values of sample type \(p.strings[p.sampleTypes[i % n].type]) sum past 64 bits")
            }
            sums[i % n] = s
        }
    }
}
