import KilnHead
import KilnModel
import KilnPprof
import KilnStorage

/// The query semantics of shared/reference/pyroscope-api.md §2 and §8,
/// answered over one tenant's data: the live head, frozen heads and blocks,
/// as one. Each source is read in full or not at all: a block whose pages do
/// not decode (`BlockError`) is reported to `onBlockError` and contributes
/// nothing; a block that cannot be read at all (its bucket is unreachable)
/// fails the query, since an answer without it would be silently wrong.
public struct Query {
    let head: Head?
    let fixed: [any QuerySource]
    let onBlockError: (BlockError) -> Void
    /// A querier's ingesters: the heads and unshipped blocks it does not read itself.
    public var remote: (any RemoteHeads)?
    /// How finely a merge cuts a block's samples into units of parallel work
    /// (see `defaultSamplesPerUnit`); tests lower it to exercise the split.
    public var samplesPerUnit = Query.defaultSamplesPerUnit
    /// The deadline and sample limit this query runs under.
    public var budget = QueryBudget()

    /// A query over a tenant's data (none when `head` is nil).
    public init(_ head: Head?, onBlockError: @escaping (BlockError) -> Void = { _ in }) {
        self.head = head
        self.fixed = []
        self.onBlockError = onBlockError
    }

    /// A query over given sources (tests, tools), as if they were one tenant's.
    public init(sources: [any QuerySource], onBlockError: @escaping (BlockError) -> Void = { _ in }) {
        self.head = nil
        self.fixed = sources
        self.onBlockError = onBlockError
    }

    /// One query's sources in the order their answers combine: the fixed
    /// sources, the ingesters' extracts, the live head, the frozen heads,
    /// the blocks (on a querier, the ones it named to its ingesters). The
    /// live head is not in `list`: `sources(for:live:)` hands it over under
    /// its lock, and `liveAt` is its place in that order.
    struct Sources {
        var list: [any QuerySource]
        var liveAt: Int
    }

    /// The sources of `request`, assembled here for every walk: calls `live`
    /// with the live head under its lock (so a query never makes the writer
    /// copy it), and returns the rest. `keepBlock` leaves blocks out (an
    /// ingester answers only for those its querier does not read). Nothing
    /// here reads pages; only the ingesters are asked.
    func sources(
        for request: HeadRequest, keepBlock: (Block) -> Bool = { _ in true }, live: (borrowing HeadState) throws -> Void
    ) async throws -> Sources {
        let (extracts, pinned) = try await remoteSources(request)
        var list = fixed + extracts as [any QuerySource]
        let liveAt = list.count
        var blocks = pinned ?? []
        if let head {
            let snapshot = try head.snapshot(live)
            list += snapshot.frozen.map(\.state) as [any QuerySource]
            if pinned == nil { blocks = snapshot.blocks }
        }
        list += blocks.filter(keepBlock) as [any QuerySource]
        return Sources(list: list, liveAt: liveAt)
    }

    /// Calls `body` with every source of `request`: the live head first
    /// (under its lock), then the others in order.
    func forEachSource(_ request: HeadRequest, _ body: (any QuerySource) -> Void) async throws {
        for source in try await sources(for: request, live: { body(copy $0) }).list { body(source) }
    }

    /// The ingesters' extracts for `request` and the blocks named to them as
    /// read here (nil without ingesters: the head's snapshot decides). An
    /// ingester holding shipped blocks this listing lacks makes the answer
    /// stale: `QueryError.behindIngesters`, which `relistingOnce` answers by
    /// re-listing the bucket and running the query again.
    func remoteSources(_ request: HeadRequest) async throws -> (extracts: [HeadExtract], blocks: [Block]?) {
        guard let remote else { return ([], nil) }
        let blocks = head?.blocks ?? []
        let answer = try await remote.extracts(
            request, knownBlocks: blocks.map(\.ulid), coveredBlocks: Array(Set(blocks.flatMap(\.meta.sources))).sorted(),
            budget: budget)
        if !answer.staleBlocks.isEmpty { throw QueryError.behindIngesters(blocks: answer.staleBlocks) }
        return (answer.extracts, blocks)
    }

    /// Distinct profile types with data in `range`, sorted by ID.
    public func profileTypes(range: TimeRange) async throws -> [ProfileTypeID] {
        var seen = Set<ProfileTypeID>()
        try await forEachSource(HeadRequest(selector: LabelSelector(), range: range, detail: .labels, labelNames: [ReservedLabels.profileType])) {
            s in
            for ref in s.select(LabelSelector()) where s.hasProfiles(ref, in: range.closed) {
                if let id = s.labels(of: ref)[ReservedLabels.profileType].flatMap({ try? ProfileTypeID(parsing: $0) }) { seen.insert(id) }
            }
        }
        return seen.sorted()
    }

    /// Label names of the selected series with data in `range`, sorted, `__…__` names included.
    public func labelNames(selector: LabelSelector, range: TimeRange) async throws -> [String] {
        var names = Set<String>()
        try await forEachSource(HeadRequest(selector: selector, range: range, detail: .labels)) { s in
            for ref in s.select(selector) where s.hasProfiles(ref, in: range.closed) {
                for l in s.labels(of: ref).labels { names.insert(l.name) }
            }
        }
        return names.sorted()
    }

    /// Distinct values of `name` on the selected series with data in `range`, sorted.
    public func labelValues(name: String, selector: LabelSelector, range: TimeRange) async throws -> [String] {
        var values = Set<String>()
        try await forEachSource(HeadRequest(selector: selector, range: range, detail: .labels, labelNames: [name])) { s in
            for ref in s.select(selector) where s.hasProfiles(ref, in: range.closed) {
                if let v = s.labels(of: ref)[name] { values.insert(v) }
            }
        }
        return values.sorted()
    }

    /// Unique label sets of the selected series projected onto `labelNames`
    /// (all labels when empty), sorted.
    public func series(selector: LabelSelector, labelNames: [String], range: TimeRange) async throws -> [LabelSet] {
        let keep = Set(labelNames)
        var out = Set<LabelSet>()
        try await forEachSource(HeadRequest(selector: selector, range: range, detail: .labels, labelNames: keep.isEmpty ? nil : labelNames)) { s in
            for ref in s.select(selector) where s.hasProfiles(ref, in: range.closed) {
                let labels = s.labels(of: ref)
                out.insert(keep.isEmpty ? labels : labels.projected(onto: keep))
            }
        }
        return out.sorted()
    }

    /// The merged flame graph of every profile of `profileType` whose series
    /// matches `selector`, in `range`.
    /// - Parameter maxNodes: validated and defaulted by the caller (1 ... `FlameGraph.maxMaxNodes`).
    /// - Throws: the error of a block that cannot be read (see the type's doc).
    /// - Parameter callSite: keep only stacks under this root-first prefix.
    /// - Parameter spans: keep only the samples of these spans (`SelectMergeSpanProfile`).
    public func mergeStacktraces(
        profileType: ProfileTypeID, selector: LabelSelector, range: TimeRange, maxNodes: Int64,
        callSite: CallSiteFilter = CallSiteFilter(), spans: SpanSelector? = nil
    ) async throws -> FlameGraph {
        let typed = Self.typed(selector, profileType)
        var builder = FlameGraphBuilder()
        var any = false
        try await mergeTotals(of: typed, in: range, spans: spans, callSite: callSite) { totals, symbols in
            builder.add(totals.values, symbols: symbols)
            any = true
        }
        return any ? builder.render(maxNodes: maxNodes) : .empty
    }

    /// The merged flame graph as a tree, not laid out (Parca's Arrow flame graph).
    public func mergeTree(
        profileType: ProfileTypeID, selector: LabelSelector, range: TimeRange, callSite: CallSiteFilter = CallSiteFilter(),
        spans: SpanSelector? = nil
    ) async throws -> FlameTree {
        var builder = FlameGraphBuilder()
        try await mergeTotals(of: Self.typed(selector, profileType), in: range, spans: spans, callSite: callSite) { totals, symbols in
            builder.add(totals.values, symbols: symbols)
        }
        return builder.tree()
    }

    /// The diff of two merged flame graphs (`Diff`): `left` and `right` select
    /// the same profile type; their trees are aligned by name paths.
    /// - Throws: the error of a block that cannot be read.
    public func diff(
        profileType: ProfileTypeID, left: (selector: LabelSelector, range: TimeRange, callSite: CallSiteFilter),
        right: (selector: LabelSelector, range: TimeRange, callSite: CallSiteFilter), maxNodes: Int64
    ) async throws -> FlameGraphDiff {
        var builder = FlameGraphBuilder()
        try await mergeTotals(of: Self.typed(left.selector, profileType), in: left.range, callSite: left.callSite) { totals, symbols in
            builder.add(totals.values, symbols: symbols)
        }
        try await mergeTotals(of: Self.typed(right.selector, profileType), in: right.range, callSite: right.callSite) { totals, symbols in
            builder.add(totals.values, symbols: symbols, right: true)
        }
        return builder.renderDiff(maxNodes: maxNodes)
    }

    /// The merged pprof profile of every profile of `profileType` whose
    /// series matches `selector`, in `range` (`SelectMergeProfile`): one
    /// sample type, every distinct stack with its summed value, symbols with
    /// mappings, files and lines. Empty when nothing matches.
    /// - Throws: the error of a block that cannot be read (see the type's doc).
    public func mergeProfile(
        profileType: ProfileTypeID, selector: LabelSelector, range: TimeRange,
        callSite: CallSiteFilter = CallSiteFilter()
    ) async throws -> Profile {
        var merger = PprofMerger()
        var any = false
        try await mergeTotals(of: Self.typed(selector, profileType), in: range, callSite: callSite) { totals, symbols in
            merger.add(totals.values, symbols: symbols)
            any = true
        }
        guard any else { return Profile() }
        let start = range.startNanos == .min ? 0 : range.startNanos
        let duration = range.endNanos == .max || range.startNanos == .min ? 0 : range.endNanos - range.startNanos
        return merger.build(profileType, timeNanos: start, durationNanos: duration)
    }

    /// Time series of per-profile totals, bucketed by `stepMs` with points at
    /// the bucket right edges `start + k·step ≤ end` (a point at `T` covers
    /// profiles in `(T − step, T]`, so the first point, at `start`, covers the
    /// step before it, as Pyroscope's query frontend widens the range),
    /// grouped by the `groupBy` labels, ordered by total descending (ties by
    /// labels), cut to `limit`.
    /// - Precondition: `stepMs ≥ 1`; `startMs`, `endMs`, `stepMs` within ±1e15
    ///   (the caller validates), so bucket arithmetic cannot overflow.
    public func selectSeries(_ q: TimeSeriesQuery) async throws -> [TimeSeries] {
        precondition(q.stepMs >= 1, "step must be at least 1 ms")
        let range = TimeRange.exactMilliseconds(q.startMs - q.stepMs + 1, q.endMs)
        let groupBy = Set(q.groupBy)
        // group labels → bucket edge → (sum, count)
        var groups: [LabelSet: [Int64: (sum: Double, count: Int)]] = [:]
        let typed = Self.typed(q.selector, q.profileType)
        try await forEachSource(HeadRequest(selector: typed, range: range, detail: .profiles)) { s in
            for ref in s.select(typed) where s.hasProfiles(ref, in: range.closed) {
                let key = s.labels(of: ref).projected(onto: groupBy)
                var buckets = groups[key] ?? [:]
                s.forEachProfile(of: ref, in: range) { time, total, _ in
                    guard let edge = Self.bucketEdge(timeNanos: time, startMs: q.startMs, endMs: q.endMs, stepMs: q.stepMs) else { return }
                    var b = buckets[edge] ?? (0, 0)
                    b.sum += Double(total)
                    b.count += 1
                    buckets[edge] = b
                }
                if !buckets.isEmpty { groups[key] = buckets }
            }
        }
        if !q.callSite.keepsEverything { try await restrict(&groups, to: q.callSite, typed: typed, q) }
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

    /// Replaces each bucket's sum by the total of its samples under `callSite`:
    /// one merge (the flame graph's path, over every kind of source) per group
    /// and bucket, over the bucket's milliseconds and the group's series
    /// (its labels equal, the group-by labels it lacks absent). Buckets with
    /// nothing under the call site keep a 0 point, as Pyroscope's do.
    /// Cost: groups × buckets merges, each over that bucket's profiles only.
    func restrict(
        _ groups: inout [LabelSet: [Int64: (sum: Double, count: Int)]], to callSite: CallSiteFilter, typed: LabelSelector, _ q: TimeSeriesQuery
    ) async throws {
        for (key, buckets) in groups {
            var selector = typed
            for name in q.groupBy {
                // Cannot fail: equality matchers compile no regex.
                selector.matchers.append(try! LabelMatcher(name, .equal, key[name] ?? ""))
            }
            var restricted = buckets
            for edge in buckets.keys {
                var sum: Int64 = 0
                try await mergeTotals(
                    of: selector, in: .exactMilliseconds(max(edge - q.stepMs + 1, q.startMs - q.stepMs + 1), min(edge, q.endMs)), callSite: callSite
                ) { totals, _ in
                    for v in totals.values { sum &+= v }
                }
                restricted[edge]?.sum = Double(sum)
            }
            groups[key] = restricted
        }
    }

    /// Whether the tenant ever ingested data, and the oldest and newest profile times (ms).
    public func stats() async throws -> (ingested: Bool, oldestMs: Int64, newestMs: Int64) {
        var lo = Int64.max
        var hi = Int64.min
        try await forEachSource(HeadRequest(selector: LabelSelector(), range: .all, detail: .bounds)) { s in
            guard let b = s.timeBounds else { return }
            lo = min(lo, b.lowerBound)
            hi = max(hi, b.upperBound)
        }
        guard lo <= hi else { return (false, 0, 0) }
        return (true, Self.floorDiv(lo, 1_000_000), Self.floorDiv(hi, 1_000_000))
    }

    /// The selector ANDed with `__profile_type__ = id`.
    public static func typed(_ selector: LabelSelector, _ type: ProfileTypeID) -> LabelSelector {
        var s = selector
        // Cannot fail: equality matchers compile no regex.
        s.matchers.append(try! LabelMatcher(ReservedLabels.profileType, .equal, type.id))
        return s
    }

    /// The right edge (ms) of the step bucket `(edge − step, edge]` holding
    /// a profile at `timeNanos`, edges at `start + k·step`; nil past `end`.
    static func bucketEdge(timeNanos: Int64, startMs: Int64, endMs: Int64, stepMs: Int64) -> Int64? {
        let edge = startMs + ceilDiv(floorDiv(timeNanos, 1_000_000) - startMs, stepMs) * stepMs
        return edge <= endMs ? edge : nil
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 { -floorDiv(-a, b) }
}
