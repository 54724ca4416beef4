import KilnIngest
import KilnModel

/// The in-memory head of one tenant: series index with postings, symbols, and
/// the sample columns. A plain value type with no locking; `Head` guards it.
///
/// Invariants: series refs are dense (`series[ref].ref == ref`); every
/// postings list is ascending (refs are appended in creation order); every
/// stack id in `sampleStacks` is a node of `symbols.stacks`.
public struct HeadState: Sendable {
    public private(set) var series: [HeadSeries] = []
    /// fingerprint → refs with that fingerprint (more than one only on a hash collision).
    private var byFingerprint: [UInt64: [UInt32]] = [:]
    /// label name → label value → ascending series refs.
    public private(set) var postings: [String: [String: [UInt32]]] = [:]
    public var symbols = SymbolTable()
    /// Stack id of every stored sample; a profile's samples are contiguous.
    public private(set) var sampleStacks: [UInt32] = []
    public private(set) var sampleValues: [Int64] = []

    public init() {}

    public var sampleCount: Int { sampleStacks.count }

    /// Memory the head holds, estimated from its table sizes (for the size
    /// cut, not an allocator count): 12 B per stored sample, ~40 B per stack
    /// node with its index slots, ~60 B per location, ~40 B per function, the
    /// strings' bytes plus ~40 B each, ~300 B per series, ~56 B per profile.
    /// - Complexity: O(strings + series).
    public var estimatedBytes: Int {
        sampleCount * 12 + symbols.stacks.count * 40 + symbols.locations.count * 60 + symbols.functions.count * 40
            + symbols.strings.reduce(0) { $0 + $1.utf8.count + 40 } + series.count * 300 + profileCount * 56
    }
    public var profileCount: Int { series.reduce(0) { $0 + $1.profileCount } }

    /// The ref of the series with exactly these labels, if it exists.
    func existingRef(_ labels: LabelSet, fingerprint: UInt64) -> UInt32? {
        byFingerprint[fingerprint]?.first { series[Int($0)].labels == labels }
    }

    /// How many series `profiles` would add.
    /// - Complexity: O(targets) hash lookups.
    public func newSeriesCount(_ profiles: [IngestProfile]) -> Int {
        var seen = Set<LabelSet>()
        for p in profiles {
            for t in p.series where existingRef(t.labels, fingerprint: t.labels.fingerprint) == nil { seen.insert(t.labels) }
        }
        return seen.count
    }

    /// The ref of the series with exactly these labels, created when new.
    mutating func seriesRef(labels: LabelSet, profileType: ProfileTypeID) -> UInt32 {
        let fp = labels.fingerprint
        if let ref = existingRef(labels, fingerprint: fp) { return ref }
        let ref = UInt32(series.count)
        series.append(HeadSeries(ref: ref, labels: labels, profileType: profileType))
        byFingerprint[fp, default: []].append(ref)
        for l in labels.labels { postings[l.name, default: [:]][l.value, default: []].append(ref) }
        return ref
    }

    /// Appends one profile's samples (already merged by stack, zeros removed) to a series.
    mutating func appendProfile(series ref: UInt32, timeNanos: Int64, durationNanos: Int64, spanID: UInt64, stacks: [UInt32], values: [Int64]) {
        let start = sampleStacks.count
        sampleStacks.append(contentsOf: stacks)
        sampleValues.append(contentsOf: values)
        let total = values.reduce(0, &+)
        series[Int(ref)].append(
            timeNanos: timeNanos, durationNanos: durationNanos, spanID: spanID, total: total,
            sampleStart: start, sampleCount: stacks.count)
    }

    /// Refs of the series the selector matches, ascending.
    ///
    /// Equality matchers with a non-empty value narrow the candidates through
    /// the postings; every matcher is then checked on each candidate, with the
    /// result cached per distinct label value (regexes run once per value, not
    /// once per series).
    /// - Complexity: O(candidates × matchers) plus one regex run per distinct value.
    public func select(_ selector: LabelSelector) -> [UInt32] {
        selector.select(seriesCount: series.count, postings: { postings[$0]?[$1] ?? [] }, labels: { series[Int($0)].labels })
    }
}
