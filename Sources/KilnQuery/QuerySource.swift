import KilnHead
import KilnModel
import KilnStorage

/// What the query kernels read, the same for the live head, a frozen head
/// and a block: series by selector, their labels, their profiles' times and
/// totals, and per-stack sums over the source's own symbol ids.
public protocol QuerySource: Sendable {
    var symbolView: SymbolView { get }
    func select(_ selector: LabelSelector) -> [UInt32]
    func labels(of ref: UInt32) -> LabelSet
    func hasProfiles(_ ref: UInt32, in range: ClosedRange<Int64>) -> Bool
    /// Calls `body(time, total, span)` for each profile of `ref` in `range`
    /// (span 0: none). The profiles a pushed profile was stored as, one per
    /// span, come one after the other.
    func forEachProfile(of ref: UInt32, in range: TimeRange, _ body: (Int64, Int64, UInt64) -> Void)
    /// Adds the samples of every profile of `refs` in `range` (and of a span
    /// of `spans`, when given) to `totals` (sized `symbolView.stackCount`);
    /// returns whether there was any profile.
    /// Heads answer at once; a block may read pages, from disk or a bucket.
    func addSamples(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals) async throws -> Bool
    /// Earliest and latest profile time, nil when empty.
    var timeBounds: ClosedRange<Int64>? { get }
    /// Samples of the profiles of `refs` in `range` (and of a span of
    /// `spans`, when given), from the index alone (for query budgets).
    func sampleCount(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?) -> Int
}

extension QuerySource {
    /// Samples of the profiles of `refs` in `range`, from the index alone.
    public func sampleCount(of refs: [UInt32], in range: TimeRange) -> Int { sampleCount(of: refs, in: range, spans: nil) }
}

extension HeadState: QuerySource {
    public var symbolView: SymbolView { symbols.view }

    public func sampleCount(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?) -> Int {
        var n = 0
        for ref in refs {
            let s = series[Int(ref)]
            guard s.hasProfiles(in: range.closed) else { continue }
            for i in 0..<s.profileCount where range.contains(s.timeNanos[i]) && spans.keeps(s.spanIDs[i]) { n += Int(s.sampleCounts[i]) }
        }
        return n
    }
    public func labels(of ref: UInt32) -> LabelSet { series[Int(ref)].labels }
    public func hasProfiles(_ ref: UInt32, in range: ClosedRange<Int64>) -> Bool { series[Int(ref)].hasProfiles(in: range) }

    public func forEachProfile(of ref: UInt32, in range: TimeRange, _ body: (Int64, Int64, UInt64) -> Void) {
        let s = series[Int(ref)]
        for i in 0..<s.profileCount where range.contains(s.timeNanos[i]) { body(s.timeNanos[i], s.totals[i], s.spanIDs[i]) }
    }

    public func addSamples(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals) -> Bool {
        var any = false
        for ref in refs {
            let s = series[Int(ref)]
            guard s.hasProfiles(in: range.closed) else { continue }
            for i in 0..<s.profileCount where range.contains(s.timeNanos[i]) && spans.keeps(s.spanIDs[i]) {
                let start = s.sampleStarts[i]
                let end = start + Int(s.sampleCounts[i])
                totals.add(stacks: sampleStacks[start..<end], values: sampleValues[start..<end])
                any = true
            }
        }
        return any
    }

    public var timeBounds: ClosedRange<Int64>? {
        var lo = Int64.max
        var hi = Int64.min
        for s in series where s.profileCount > 0 {
            lo = min(lo, s.minTime)
            hi = max(hi, s.maxTime)
        }
        return lo <= hi ? lo...hi : nil
    }
}

extension Block: QuerySource {
    public var symbolView: SymbolView { symbols }

    public func sampleCount(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?) -> Int {
        guard spans != nil else { return refs.reduce(0) { $0 + sampleCount(of: $1, in: range.closed) } }
        return profileRows(of: refs, in: range, spans: spans).reduce(0) { $0 + sampleCount(ofProfile: $1) }
    }
    public func labels(of ref: UInt32) -> LabelSet { labels[Int(ref)] }

    public func forEachProfile(of ref: UInt32, in range: TimeRange, _ body: (Int64, Int64, UInt64) -> Void) {
        for row in profiles(of: ref, in: range.closed) { body(profileTimeNanos(row), profileTotalValue(row), profileSpanID(row)) }
    }

    public func addSamples(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals) async throws -> Bool {
        let rows = profileRows(of: refs, in: range, spans: spans)
        guard !rows.isEmpty else { return false }
        try await addSamples(ofRows: rows, to: &totals)
        return true
    }

    /// Rows of the profiles of `refs` in `range` (and of a span of `spans`, when given), ascending.
    func profileRows(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?) -> [Int] {
        var rows: [Int] = []
        for ref in refs {
            let r = profiles(of: ref, in: range.closed)
            if spans == nil { rows += r } else { rows += r.filter { spans.keeps(profileSpanID($0)) } }
        }
        return rows.sorted()
    }

    /// Adds the samples of profile `rows` (ascending) to `totals`.
    func addSamples(ofRows rows: [Int], to totals: inout StackTotals) async throws {
        try await forEachSampleRun(profiles: rows) { stacks, values in totals.add(stacks: stacks, values: values) }
    }

    public var timeBounds: ClosedRange<Int64>? {
        meta.stats.profiles > 0 ? meta.minTimeNanos...max(meta.minTimeNanos, meta.maxTimeNanos) : nil
    }
}

extension Optional where Wrapped == SpanSelector {
    /// Whether a profile with span `id` is kept: always without a selector.
    @inline(__always)
    func keeps(_ id: UInt64) -> Bool {
        guard let s = self else { return true }
        return s.contains(id)
    }
}
