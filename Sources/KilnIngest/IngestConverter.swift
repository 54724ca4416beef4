import Foundation
import KilnModel
import KilnPprof

/// Converts a legacy `POST /ingest` upload into profiles
/// (shared/reference/pyroscope-api.md §3.3).
///
/// Supported: pprof as multipart (what `pyroscope-go` sends) or as a raw body
/// (`format=pprof`), folded stacks (`format=folded`/`groups`/absent),
/// `format=lines`, `format=speedscope` and `format=jfr` (pyroscope-java).
/// Trie and tree are refused with a clear error.
public enum IngestConverter {
    public static func convert(
        _ request: IngestRequest, contentType: String?, body: [UInt8],
        maxProfileBytes: Int = PprofDecoder.defaultMaxDecompressedBytes, limits: IngestLimits = IngestLimits()
    ) throws(IngestError) -> [IngestProfile] {
        let ct = contentType?.lowercased() ?? ""
        switch request.format {
        case "trie", "tree":
            throw IngestError(.unsupported, "format=\(request.format!) is not supported; send pprof, JFR, folded, lines or speedscope")
        case _ where ct.hasPrefix("binary/octet-stream+trie") || ct.hasPrefix("binary/octet-stream+tree"):
            throw IngestError(.unsupported, "Content-Type \(contentType!) (trie/tree) is not supported; send pprof, JFR, folded, lines or speedscope")
        case "lines":
            return try stacks(request, FoldedStacks.parseLines(body), limits: limits, sizeBytes: body.count)
        case "jfr":
            return try jfr(request, contentType: contentType, body: body, maxProfileBytes: maxProfileBytes, limits: limits)
        case "speedscope":
            return try speedscope(request, body: body, limits: limits)
        case "pprof":
            return [try pprof(request, profileBytes: body, sampleTypeConfig: nil, maxProfileBytes: maxProfileBytes, limits: limits)]
        default:
            if ct.contains("multipart/form-data") {
                return [try multipart(request, contentType: contentType!, body: body, maxProfileBytes: maxProfileBytes, limits: limits)]
            }
            let parsed: [FoldedStack]
            do { parsed = try FoldedStacks.parseFolded(body) } catch {
                throw IngestError(.unprocessable, "folded stacks: \(error)")
            }
            return try stacks(request, parsed, limits: limits, sizeBytes: body.count)
        }
    }

    // MARK: - Folded and lines

    /// What an app-name suffix means: profile name, sample type and unit.
    struct SuffixType {
        var name: String
        var sampleType: String
        var unit: String
    }

    static func suffixType(_ suffix: String) -> SuffixType? {
        switch suffix {
        case "cpu", "itimer": SuffixType(name: "process_cpu", sampleType: "samples", unit: "count")
        case "wall", "seconds", "nanoseconds", "microseconds", "milliseconds": SuffixType(name: "wall", sampleType: "samples", unit: "count")
        case "inuse_objects", "alloc_objects": SuffixType(name: "memory", sampleType: suffix, unit: "count")
        case "inuse_space", "alloc_space": SuffixType(name: "memory", sampleType: suffix, unit: "bytes")
        case "goroutines": SuffixType(name: "goroutine", sampleType: "goroutines", unit: "count")
        case "mutex_count": SuffixType(name: "mutex", sampleType: "contentions", unit: "count")
        case "mutex_duration": SuffixType(name: "mutex", sampleType: "delay", unit: "nanoseconds")
        case "block_count", "lock_count": SuffixType(name: "block", sampleType: "contentions", unit: "count")
        case "block_duration", "lock_duration": SuffixType(name: "block", sampleType: "delay", unit: "nanoseconds")
        case "live": SuffixType(name: "memory", sampleType: "live", unit: "count")
        case "exceptions": SuffixType(name: "exceptions", sampleType: "samples", unit: "count")
        case "bytes": SuffixType(name: "memory", sampleType: "samples", unit: "bytes")
        default: nil
        }
    }

    /// - Parameter sizeBytes: the uploaded text's size.
    static func stacks(_ request: IngestRequest, _ stacks: [FoldedStack], limits: IngestLimits, sizeBytes: Int) throws(IngestError) -> [IngestProfile]
    {
        // The app name's last `.suffix` names the profile type; none means cpu.
        var app = request.appName
        var suffix = "cpu"
        if let dot = app.lastIndex(of: ".") {
            suffix = String(app[app.index(after: dot)...])
            app = String(app[..<dot])
        }
        guard var type = suffixType(suffix) else {
            throw IngestError(.unprocessable, "unknown profile type \"\(suffix)\" in name \"\(request.appName)\"")
        }
        var periodType: (type: String, unit: String)?
        var period: Int64 = 0
        var scale: Int64 = 1
        if (type.name == "process_cpu" || type.name == "wall") && request.sampleRate > 0 {
            // Each sample stands for one sampling period: scale counts to nanoseconds.
            period = 1_000_000_000 / request.sampleRate
            scale = period
            type.sampleType = type.name == "wall" ? "wall" : "cpu"
            type.unit = "nanoseconds"
            periodType = ("cpu", "nanoseconds")
        }
        var builder = ProfileBuilder(sampleTypes: [(type.sampleType, type.unit)], periodType: periodType, period: period)
        for s in stacks where s.value != 0 {
            let (v, overflow) = s.value.multipliedReportingOverflow(by: scale)
            guard !overflow else { throw IngestError(.unprocessable, "sample value \(s.value) overflows when scaled to nanoseconds") }
            builder.addSample(stack: s.frames, values: [v])
        }
        let duration = request.durationNanos
        var profile = builder.build(timeNanos: request.fromNanos, durationNanos: duration)
        try limits.apply(to: &profile, context: "")
        try ProfileDecoding.checkValues(profile)

        var labels = userLabels(request, keepingReserved: false)
        labels.append(Label(ReservedLabels.name, type.name))
        labels.append(Label("pyroscope_spy", request.spyName))
        if labels.contains(where: { $0.name == ReservedLabels.serviceName }) {
            labels.append(Label("app_name", app))
        } else {
            labels.append(Label(ReservedLabels.serviceName, app))
        }
        return [try ingestProfile(labels, profile, request, limits: limits, sizeBytes: sizeBytes)]
    }

    // MARK: - pprof

    static func multipart(_ request: IngestRequest, contentType: String, body: [UInt8], maxProfileBytes: Int, limits: IngestLimits)
        throws(IngestError) -> IngestProfile
    {
        guard let boundary = Multipart.boundary(contentType: contentType) else {
            throw IngestError(.invalidArgument, "multipart/form-data Content-Type without a boundary")
        }
        // Only file parts count; plain form values are ignored.
        let files = try Multipart.parse(body, boundary: boundary).filter { $0.filename != nil }
        if files.contains(where: { $0.name == "prev_profile" }) {
            // 422, as Pyroscope answers it.
            throw IngestError(
                .unprocessable,
                "unsupported client version: prev_profile (server-side delta of cumulative profiles) is no longer accepted; upgrade the client")
        }
        guard let profilePart = files.first(where: { $0.name == "profile" }) else {
            throw IngestError(.unprocessable, "multipart upload has no \"profile\" file part")
        }
        let config = try files.first { $0.name == "sample_type_config" }.map { part throws(IngestError) in
            try parseSampleTypeConfig(part.body)
        }
        return try pprof(request, profileBytes: profilePart.body, sampleTypeConfig: config, maxProfileBytes: maxProfileBytes, limits: limits)
    }

    static func pprof(
        _ request: IngestRequest, profileBytes: [UInt8], sampleTypeConfig: [String: String]?, maxProfileBytes: Int,
        limits: IngestLimits
    ) throws(IngestError) -> IngestProfile {
        // Old dotnetspy writes every function id as 0: repaired here, refused on Push (as Pyroscope).
        // Its uploads are known by the spy name, or, from clients that send none, by its `inuse-space` type.
        let dotnet = request.spyName == "dotnetspy" || (request.spyName == "unknown" && sampleTypeConfig?["inuse-space"] != nil)
        let decoded = try ProfileDecoding.decode(
            profileBytes, maxBytes: maxProfileBytes, limits: limits, context: "", repairingZeroFunctionIDs: dotnet)
        var profile = decoded.0
        let size = decoded.size
        // A missing or 1970 collection time is replaced by `from`.
        if profile.timeNanos < oneYearNanos { profile.timeNanos = request.fromNanos }
        if ["pyspy", "rbspy", "scripting"].contains(request.spyName) { prefixFunctionNamesWithFiles(&profile) }
        if dotnet { replaceDashesInSampleTypes(&profile) }

        let typeNames = profile.sampleTypes.map { profile.strings[$0.type] }
        guard let name = profileName(sampleTypes: typeNames, config: sampleTypeConfig) else {
            throw IngestError(.unprocessable, "unknown profile type: cannot derive a profile name from sample types \(typeNames)")
        }
        var labels = userLabels(request, keepingReserved: true)
        labels.append(Label(ReservedLabels.name, name))
        labels.append(Label("pyroscope_spy", request.spyName))
        if !labels.contains(where: { $0.name == ReservedLabels.serviceName }) {
            labels.append(Label(ReservedLabels.serviceName, request.appName))
        }
        return try ingestProfile(labels, profile, request, limits: limits, sizeBytes: size)
    }

    /// Derives `__name__` from the sample types as Pyroscope does: `wall`
    /// anywhere wins; otherwise the first type whose display name names a
    /// kind (the `sample_type_config` when one is sent, else Pyroscope's
    /// default mapping: `samples` → cpu, `goroutine` → goroutines,
    /// `contentions` → mutex_count, `delay` → mutex_duration); when none
    /// does, the last type's own name, as Pyroscope falls back to it.
    static func profileName(sampleTypes: [String], config: [String: String]?) -> String? {
        if sampleTypes.contains("wall") { return "wall" }
        let displayNames = config ?? ["samples": "cpu", "goroutine": "goroutines", "contentions": "mutex_count", "delay": "mutex_duration"]
        for t in sampleTypes {
            let display = displayNames[t].flatMap { $0.isEmpty ? nil : $0 } ?? t
            if display.contains("cpu") { return "process_cpu" }
            if display.contains("alloc_") || display.contains("inuse_") || display == "space" || display == "objects" { return "memory" }
            if display.contains("mutex_") { return "mutex" }
            if display.contains("block_") { return "block" }
            if display.contains("goroutines") { return "goroutines" }
        }
        return sampleTypes.last
    }

    /// `sample_type_config` JSON: sample type → `{"display-name": …, …}`:
    /// every type it names, with its display name ("" for none), the only
    /// field Pyroscope's pprof path reads.
    static func parseSampleTypeConfig(_ body: [UInt8]) throws(IngestError) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)), let map = object as? [String: Any] else {
            throw IngestError(.unprocessable, "sample_type_config is not a JSON object")
        }
        var out: [String: String] = [:]
        for (type, v) in map {
            out[type] = (v as? [String: Any])?["display-name"] as? String ?? ""
        }
        return out
    }

    // MARK: - Shared

    /// One year in nanoseconds: a `time_nanos` below it is "unset or 1970".
    static let oneYearNanos: Int64 = 365 * 86_400 * 1_000_000_000

    /// The labels from `name{…}`. Folded paths drop `__*` labels except
    /// `__session_id__`; pprof paths keep them (the distributor removes hints).
    static func userLabels(_ request: IngestRequest, keepingReserved: Bool) -> [Label] {
        request.labels.filter { l in
            keepingReserved || !l.name.hasPrefix("__") || l.name == ReservedLabels.sessionID
        }
    }

    static func ingestProfile(
        _ labels: [Label], _ profile: Profile, _ request: IngestRequest, limits: IngestLimits,
        sizeBytes: Int
    ) throws(IngestError) -> IngestProfile {
        let (targets, spans) = try SeriesLabels.series(pushed: labels, profile: profile, deltas: true, limits: limits)
        return IngestProfile(
            profile: profile,
            series: targets,
            timeNanos: profile.timeNanos,
            durationNanos: profile.durationNanos != 0 ? profile.durationNanos : request.durationNanos,
            sampleSpans: spans,
            sizeBytes: sizeBytes
        )
    }

    /// Pyroscope's rename for the scripting spies (pyspy, rbspy, scripting):
    /// every function becomes `<file>:-1 - <name>`, the line unknown (-1)
    /// because one function serves every line of it.
    static func prefixFunctionNamesWithFiles(_ p: inout Profile) {
        var interned: [String: Int64] = [:]
        for i in p.functions.indices {
            let renamed = "\(p.strings[p.functions[i].filename]):-1 - \(p.strings[p.functions[i].name])"
            if let s = interned[renamed] {
                p.functions[i].name = s
            } else {
                let s = p.strings.append(renamed)
                interned[renamed] = s
                p.functions[i].name = s
            }
        }
    }

    static func replaceDashesInSampleTypes(_ p: inout Profile) {
        for i in p.sampleTypes.indices {
            let t = p.strings[p.sampleTypes[i].type]
            if t.contains("-") { p.sampleTypes[i].type = p.strings.append(t.replacingOccurrences(of: "-", with: "_")) }
        }
    }
}
