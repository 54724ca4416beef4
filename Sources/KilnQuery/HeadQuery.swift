import KilnModel
import KilnStorage

/// The query semantics of shared/reference/pyroscope-api.md §2 and §8,
/// answered over one tenant's head.
public enum HeadQuery {
    /// Distinct profile types with data in `range`, sorted by ID.
    public static func profileTypes(_ head: borrowing HeadState, range: TimeRange) -> [ProfileTypeID] {
        var seen = Set<ProfileTypeID>()
        for s in head.series where s.hasProfiles(in: range.closed) { seen.insert(s.profileType) }
        return seen.sorted()
    }

    /// Label names of the selected series with data in `range`, sorted, `__…__` names included.
    public static func labelNames(_ head: borrowing HeadState, selector: LabelSelector, range: TimeRange) -> [String] {
        var names = Set<String>()
        for ref in head.select(selector) where head.series[Int(ref)].hasProfiles(in: range.closed) {
            for l in head.series[Int(ref)].labels.labels { names.insert(l.name) }
        }
        return names.sorted()
    }

    /// Distinct values of `name` on the selected series with data in `range`, sorted.
    public static func labelValues(_ head: borrowing HeadState, name: String, selector: LabelSelector, range: TimeRange) -> [String] {
        var values = Set<String>()
        for ref in head.select(selector) where head.series[Int(ref)].hasProfiles(in: range.closed) {
            if let v = head.series[Int(ref)].labels[name] { values.insert(v) }
        }
        return values.sorted()
    }

    /// Unique label sets of the selected series projected onto `labelNames`
    /// (all labels when empty), sorted.
    public static func series(_ head: borrowing HeadState, selector: LabelSelector, labelNames: [String], range: TimeRange) -> [LabelSet] {
        let keep = Set(labelNames)
        var out = Set<LabelSet>()
        for ref in head.select(selector) where head.series[Int(ref)].hasProfiles(in: range.closed) {
            let labels = head.series[Int(ref)].labels
            out.insert(keep.isEmpty ? labels : labels.projected(onto: keep))
        }
        return out.sorted()
    }

    /// The merged flame graph of every profile of `profileType` whose series
    /// matches `selector`, in `range`.
    /// - Parameter maxNodes: validated and defaulted by the caller (1 ... `FlameGraph.maxMaxNodes`).
    public static func mergeStacktraces(_ head: borrowing HeadState, profileType: ProfileTypeID, selector: LabelSelector,
                                        range: TimeRange, maxNodes: Int64) -> FlameGraph {
        let refs = head.select(typed(selector, profileType))
        var totals = StackTotals(stackCount: head.symbols.stacks.count)
        var any = false
        for ref in refs {
            let s = head.series[Int(ref)]
            guard s.hasProfiles(in: range.closed) else { continue }
            for i in 0..<s.profileCount where range.contains(s.timeNanos[i]) {
                let start = s.sampleStarts[i]
                let end = start + Int(s.sampleCounts[i])
                totals.add(stacks: head.sampleStacks[start..<end], values: head.sampleValues[start..<end])
                any = true
            }
        }
        guard any else { return .empty }
        return FlameGraphBuilder.build(totals, symbols: head.symbols, maxNodes: maxNodes)
    }

    /// Time series of per-profile totals, bucketed by `stepMs` with points at
    /// the bucket right edges `start + k·step ≤ end` (a point at `T` covers
    /// profiles in `(T − step, T]`, so the first point, at `start`, covers the
    /// step before it, as Pyroscope's query frontend widens the range),
    /// grouped by the `groupBy` labels, ordered by total descending (ties by
    /// labels), cut to `limit`.
    /// - Precondition: `stepMs ≥ 1`; `startMs`, `endMs`, `stepMs` within ±1e15
    ///   (the caller validates), so bucket arithmetic cannot overflow.
    public static func selectSeries(_ head: borrowing HeadState, _ q: TimeSeriesQuery) -> [TimeSeries] {
        precondition(q.stepMs >= 1, "step must be at least 1 ms")
        let range = TimeRange.exactMilliseconds(q.startMs - q.stepMs + 1, q.endMs)
        let groupBy = Set(q.groupBy)
        // group labels → bucket index → (sum, count)
        var groups: [LabelSet: [Int64: (sum: Double, count: Int)]] = [:]
        for ref in head.select(typed(q.selector, q.profileType)) {
            let s = head.series[Int(ref)]
            guard s.hasProfiles(in: range.closed) else { continue }
            let key = s.labels.projected(onto: groupBy)
            var buckets = groups[key] ?? [:]
            for i in 0..<s.profileCount where range.contains(s.timeNanos[i]) {
                let tMs = floorDiv(s.timeNanos[i], 1_000_000)
                let k = ceilDiv(tMs - q.startMs, q.stepMs)
                let edge = q.startMs + k * q.stepMs
                guard edge <= q.endMs else { continue }
                var b = buckets[edge] ?? (0, 0)
                b.sum += Double(s.totals[i])
                b.count += 1
                buckets[edge] = b
            }
            if !buckets.isEmpty { groups[key] = buckets }
        }
        var out: [(series: TimeSeries, total: Double)] = groups.map { labels, buckets in
            let points = buckets.keys.sorted().map { t -> TimeSeries.Point in
                let b = buckets[t]!
                return TimeSeries.Point(timestampMs: t, value: q.aggregation == .average ? b.sum / Double(b.count) : b.sum)
            }
            return (TimeSeries(labels: labels, points: points), points.reduce(0) { $0 + $1.value })
        }
        out.sort { $0.total != $1.total ? $0.total > $1.total : $0.series.labels < $1.series.labels }
        if let limit = q.limit, limit > 0, out.count > limit { out.removeSubrange(limit...) }
        return out.map(\.series)
    }

    /// Whether the tenant ever ingested data, and the oldest and newest profile times (ms).
    public static func stats(_ head: borrowing HeadState) -> (ingested: Bool, oldestMs: Int64, newestMs: Int64) {
        var lo = Int64.max, hi = Int64.min
        for s in head.series where s.profileCount > 0 {
            lo = min(lo, s.minTime)
            hi = max(hi, s.maxTime)
        }
        guard lo <= hi else { return (false, 0, 0) }
        return (true, floorDiv(lo, 1_000_000), floorDiv(hi, 1_000_000))
    }

    /// The selector ANDed with `__profile_type__ = id`.
    static func typed(_ selector: LabelSelector, _ type: ProfileTypeID) -> LabelSelector {
        var s = selector
        // Cannot fail: equality matchers compile no regex.
        s.matchers.append(try! LabelMatcher(ReservedLabels.profileType, .equal, type.id))
        return s
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 { -floorDiv(-a, b) }
}
