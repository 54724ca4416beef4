import KilnModel
import KilnPprof

/// What ingest does with pprof sample labels, as Pyroscope's distributor does
/// (shared/reference/storage-anchors.md §1.1, pyroscope-api.md §7):
///
/// - `span_id`, and `profile_id` (the name older SDKs gave it), stay with the
///   sample as a span id (`SpanID`) for `SelectMergeSpanProfile`; a value that
///   is not 16 hex digits is ignored;
/// - `trace_id` is dropped: a series per trace would grow the index without bound;
/// - every other string label splits the profile: samples with the same other
///   labels form a group, stored as a series of its own whose labels are the
///   pushed ones with the group's added (a group label wins over a pushed
///   label of the same name). This is how `pprof.Do` labels and the SDKs'
///   dynamic tags become queryable. Numeric labels are dropped.
public struct SampleLabelGroups: Sendable {
    public struct Group: Sendable, Equatable {
        /// The group's sample labels, names sanitised (`.` → `_`), in first-seen order.
        public var labels: [Label]
        /// Indices of the group's samples, ascending.
        public var samples: [Int32]
    }

    public static let spanIDLabel = "span_id"
    public static let profileIDLabel = "profile_id"
    public static let traceIDLabel = "trace_id"

    /// One group per distinct label set, in order of first sample. Empty when
    /// no sample has a label that splits: then every sample belongs to the pushed series.
    public private(set) var groups: [Group] = []
    /// The span id of each sample (0: none); empty when no sample has one.
    public private(set) var spans: [UInt64] = []

    /// - Complexity: O(samples × labels per sample), one hash lookup per sample.
    public init(_ p: Profile) {
        guard !p.sampleLabels.isEmpty else { return }
        let s = p.strings
        var keyKind: [Int64: Kind] = [:]
        func kind(_ key: Int64) -> Kind {
            if let k = keyKind[key] { return k }
            let k: Kind =
                switch s[key] {
                case Self.spanIDLabel, Self.profileIDLabel: .span
                case Self.traceIDLabel, "": .dropped
                default: .splits
                }
            keyKind[key] = k
            return k
        }
        var groupOf: [[SampleLabel]: Int] = [:]
        var sampleGroup = [Int](repeating: -1, count: p.sampleCount)
        var anySplit = false
        for i in 0..<p.sampleCount {
            var key: [SampleLabel] = []
            for l in p.labels(ofSample: i) {
                switch kind(l.key) {
                case .span:
                    guard l.str != 0, let id = SpanID.parse(s[l.str]) else { continue }
                    if spans.isEmpty { spans = [UInt64](repeating: 0, count: p.sampleCount) }
                    spans[i] = id
                case .splits where l.str != 0:
                    key.append(SampleLabel(key: l.key, str: l.str))
                default:
                    continue
                }
            }
            // One group per set of labels, whatever their order on the sample.
            key.sort { ($0.key, $0.str) < ($1.key, $1.str) }
            anySplit = anySplit || !key.isEmpty
            if let g = groupOf[key] {
                sampleGroup[i] = g
            } else {
                sampleGroup[i] = groups.count
                groupOf[key] = groups.count
                groups.append(Group(labels: key.map { Label(SeriesLabels.sanitise(s[$0.key]), s[$0.str]) }, samples: []))
            }
        }
        guard anySplit else {
            groups = []
            return
        }
        for (i, g) in sampleGroup.enumerated() { groups[g].samples.append(Int32(i)) }
    }

    private enum Kind { case span, dropped, splits }
}
