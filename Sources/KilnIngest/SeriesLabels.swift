import KilnModel
import KilnPprof

/// The distributor's label rules: validation, sanitisation, relabelling and
/// the per-sample-type series labels of shared/reference/pyroscope-api.md §3.1
/// and §4.2.
public enum SeriesLabels {
    /// Validates and normalises the labels a client pushed for a series:
    /// rewrites `.` in names to `_`, rejects invalid or duplicate names, applies
    /// the default relabel rules (`godeltaprof_X` → `X`), adds
    /// `service_name="unknown_service"` when missing, and removes ingest hints;
    /// `limits` bound the names, values and label count.
    /// - Returns: the normalised set, the profile name (`__name__`), and
    ///   whether the profile may be cumulative: not when `__delta__="false"`
    ///   says it is a delta already, nor when it came from `godeltaprof`.
    public static func normalise(_ pushed: [Label], limits: IngestLimits = IngestLimits()) throws(IngestError) -> (
        labels: LabelSet, name: String, mayBeCumulative: Bool
    ) {
        var labels: [Label] = []
        labels.reserveCapacity(pushed.count + 1)
        for l in pushed {
            let name = sanitise(l.name)
            guard isValidLabelName(name) else {
                throw IngestError(.invalidArgument, "invalid label name \"\(l.name)\"")
            }
            guard name.utf8.count <= limits.maxLabelNameLength else {
                throw IngestError(
                    .invalidArgument, "label name \"\(name.prefix(64))…\" is longer than max_label_name_length (\(limits.maxLabelNameLength) bytes)")
            }
            guard l.value.utf8.count <= limits.maxLabelValueLength else {
                throw IngestError(
                    .invalidArgument,
                    "value of label \"\(name.prefix(64))\" is longer than max_label_value_length (\(limits.maxLabelValueLength) bytes)")
            }
            labels.append(Label(name, l.value))
        }
        var set: LabelSet
        do { set = try LabelSet(labels) } catch { throw IngestError(.invalidArgument, error.description) }
        guard var name = set[ReservedLabels.name] else {
            throw IngestError(.invalidArgument, "invalid metric name: the \(ReservedLabels.name) label is missing")
        }
        guard isValidProfileName(name) else {
            throw IngestError(.invalidArgument, "invalid metric name \"\(name)\"")
        }
        var mayBeCumulative = set[ReservedLabels.delta] != "false"
        if name.hasPrefix("godeltaprof_") {
            name = String(name.dropFirst("godeltaprof_".count))
            set = set.setting(ReservedLabels.name, name)
            mayBeCumulative = false
        }
        if set[ReservedLabels.serviceName] == nil {
            set = set.setting(ReservedLabels.serviceName, ReservedLabels.unknownService)
        }
        for hint in ReservedLabels.ingestHints { set = set.removing(hint) }
        guard set.count <= limits.maxLabelNamesPerSeries else {
            throw IngestError(
                .invalidArgument, "series has \(set.count) labels, more than max_label_names_per_series (\(limits.maxLabelNamesPerSeries))")
        }
        return (set, name, mayBeCumulative)
    }

    /// Whether a series of profile `name` and sample type `sampleType` counts
    /// since its process started (§4.4): the Go runtime's `alloc_objects` and
    /// `alloc_space` of `memory`, and every type of `mutex` and `block`
    /// (`godeltaprof` sends those as deltas, and says so by its name).
    /// `inuse_*` are gauges.
    public static func isCumulative(name: String, sampleType: String) -> Bool {
        switch name {
        case "memory": sampleType == "alloc_objects" || sampleType == "alloc_space"
        case "mutex", "block": true
        default: false
        }
    }

    /// The series a pushed profile feeds and the span of each sample: the
    /// pushed labels normalised, split by the profile's sample labels
    /// (`SampleLabelGroups`), then one series per sample type of each group.
    /// - Parameter deltas: false when the API says profiles are deltas
    ///   already (`/ingest`, as in Pyroscope); otherwise cumulative types are
    ///   marked so unless the labels say they are deltas.
    /// - Throws: `IngestError.invalidArgument` when the labels of a group are invalid.
    public static func series(
        pushed: [Label], profile: Profile, deltas: Bool = false,
        limits: IngestLimits = IngestLimits()
    ) throws(IngestError) -> (targets: [IngestProfile.Target], spans: [UInt64]) {
        let groups = SampleLabelGroups(profile)
        guard !groups.groups.isEmpty else {
            let (base, name, cumulative) = try normalise(pushed, limits: limits)
            return (targets(base: base, name: name, profile: profile, cumulative: cumulative && !deltas), groups.spans)
        }
        var out: [IngestProfile.Target] = []
        for g in groups.groups {
            let names = Set(g.labels.map(\.name))
            let (base, name, cumulative) = try normalise(pushed.filter { !names.contains(sanitise($0.name)) } + g.labels, limits: limits)
            out += targets(base: base, name: name, profile: profile, samples: g.samples, cumulative: cumulative && !deltas)
        }
        return (out, groups.spans)
    }

    /// The series of a profile, one per sample type, each labelled with the
    /// profile type parts (§4.2); `samples` restricts them to those samples.
    /// With `cumulative`, the types `isCumulative` names are marked so.
    public static func targets(
        base: LabelSet, name: String, profile: Profile, samples: [Int32]? = nil,
        cumulative: Bool = false
    ) -> [IngestProfile.Target] {
        let s = profile.strings
        let periodType = profile.periodType.map { s[$0.type] } ?? ""
        let periodUnit = profile.periodType.map { s[$0.unit] } ?? ""
        let common: [(name: String, value: String)] = [
            (ReservedLabels.privateServiceName, base[ReservedLabels.serviceName] ?? ""),
            (ReservedLabels.periodType, periodType), (ReservedLabels.periodUnit, periodUnit),
        ]
        return profile.sampleTypes.enumerated().map { i, t in
            let sampleType = s[t.type]
            // Relabel rule: wall-clock profiles whose sample type is cpu are CPU profiles.
            let seriesName = (name == "wall" && sampleType == "cpu") ? "process_cpu" : name
            let id = ProfileTypeID(name: seriesName, sampleType: sampleType, sampleUnit: s[t.unit], periodType: periodType, periodUnit: periodUnit)
            let labels = base.setting(
                common + [
                    (ReservedLabels.name, seriesName), (ReservedLabels.profileType, id.id),
                    (ReservedLabels.type, id.sampleType), (ReservedLabels.unit, id.sampleUnit),
                ])
            return IngestProfile.Target(
                labels: labels, profileType: id, sampleType: i, samples: samples,
                cumulative: cumulative && isCumulative(name: seriesName, sampleType: sampleType))
        }
    }

    /// `.` → `_` (OpenTelemetry names such as `service.name`).
    static func sanitise(_ name: String) -> String {
        name.utf8.contains(UInt8(ascii: ".")) ? name.replacingDots() : name
    }

    /// Prometheus label names: `[a-zA-Z_][a-zA-Z0-9_]*`.
    public static func isValidLabelName(_ s: String) -> Bool {
        guard let first = s.utf8.first, isAlpha(first) || first == UInt8(ascii: "_") else { return false }
        return s.utf8.allSatisfy { isAlpha($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// Profile names: label-name characters only. `:` is a valid metric-name
    /// character in Prometheus, but it separates the parts of a profile type ID,
    /// so a name containing it would make the ID unparsable.
    public static func isValidProfileName(_ s: String) -> Bool { isValidLabelName(s) }

    private static func isAlpha(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 65 && c <= 90) }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
}

extension String {
    fileprivate func replacingDots() -> String {
        String(decoding: utf8.map { $0 == UInt8(ascii: ".") ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
    }
}
