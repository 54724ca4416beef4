import KilnModel
import KilnPprof

/// Turns one `RawSample` of a Connect `Push` into an `IngestProfile`
/// (shared/reference/pyroscope-api.md §3.1).
public enum PushConverter {
    /// - Parameters:
    ///   - labels: the series labels the client sent.
    ///   - rawProfile: pprof bytes, gzip-compressed or raw.
    ///   - nowNanos: substituted for a profile whose `time_nanos` is 0.
    ///   - maxProfileBytes: the server's bound on a decompressed profile.
    ///   - limits: the tenant's validation limits.
    /// - Throws: `IngestError` (`invalidArgument` for bad labels, `unprocessable` for bad pprof).
    public static func convert(
        labels: [Label], rawProfile: [UInt8], id: String, nowNanos: Int64,
        maxProfileBytes: Int = PprofDecoder.defaultMaxDecompressedBytes, limits: IngestLimits = IngestLimits()
    ) throws(IngestError) -> IngestProfile {
        let (base, _, _) = try SeriesLabels.normalise(labels, limits: limits)
        let (profile, size) = try ProfileDecoding.decode(rawProfile, maxBytes: maxProfileBytes, limits: limits, context: "series \(base)")
        let (targets, spans) = try SeriesLabels.series(pushed: labels, profile: profile, limits: limits)
        return IngestProfile(
            profile: profile,
            series: targets,
            timeNanos: profile.timeNanos == 0 ? nowNanos : profile.timeNanos,
            durationNanos: profile.durationNanos,
            id: id,
            sampleSpans: spans,
            sizeBytes: size
        )
    }

    /// A profile decoded already (from OTLP, say): the same labels, checks and
    /// series split as `convert(labels:rawProfile:…)`, without the pprof decoding.
    /// Its size, what the ingestion rate limit counts, is about what it would weigh as pprof.
    public static func convert(_ decoded: DecodedProfile, nowNanos: Int64, limits: IngestLimits = IngestLimits()) throws(IngestError)
        -> IngestProfile
    {
        let labels = decoded.labels
        let (base, _, _) = try SeriesLabels.normalise(labels, limits: limits)
        var profile = decoded.profile
        try ProfileDecoding.validate(&profile, limits: limits, context: "series \(base)")
        let (targets, spans) = try SeriesLabels.series(pushed: labels, profile: profile, limits: limits)
        return IngestProfile(
            profile: profile,
            series: targets,
            timeNanos: profile.timeNanos == 0 ? nowNanos : profile.timeNanos,
            durationNanos: profile.durationNanos,
            id: "",
            sampleSpans: spans,
            sizeBytes: profile.sampleValues.count * 8 + profile.sampleLocations.count * 4 + profile.strings.bytes.count
        )
    }
}
