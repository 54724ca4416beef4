import KilnHead
import KilnModel
import KilnStorage

/// One source of an ingester (its live head, a frozen head, a block not yet
/// shipped) reduced to what one `HeadRequest` needs: the querier merges it
/// as one more source of the tenant.
///
/// An extract answers the request it was made for and nothing else: its
/// series are the ones that request selected (projected onto its label
/// names, when it names some), with profiles only in its range; `select`
/// returns every series, and `addSamples` and `sampleCount` give the
/// request's totals, whatever they are handed. `Query` only hands an extract to the walk of that
/// request.
///
/// Cost on the wire: `labels` detail is the selected series' labels;
/// `profiles` adds 24 bytes per profile; `samples` is one total per distinct
/// stack selected, with only the symbols those stacks reach.
public struct HeadExtract: Sendable {
    public struct Series: Sendable, Equatable {
        public var labels: LabelSet
        /// The profiles in range (empty below `profiles` detail), in the source's order.
        public var times: [Int64]
        public var totals: [Int64]
        public var spans: [UInt64]

        public init(labels: LabelSet, times: [Int64] = [], totals: [Int64] = [], spans: [UInt64] = []) {
            self.labels = labels
            self.times = times
            self.totals = totals
            self.spans = spans
        }
    }

    public var detail: HeadRequest.Detail
    public var series: [Series]
    /// Earliest and latest profile time of the whole source.
    public var bounds: ClosedRange<Int64>?
    /// Samples of the selected profiles (budgets, `AnalyzeQuery`).
    public var selectedSamples: Int
    /// Bytes the selection occupies in the source (`AnalyzeQuery`).
    public var selectedBytes: Int
    /// Whether the source is a block (long-term storage in `AnalyzeQuery`).
    public var isBlock: Bool
    /// The symbols `stackTotals` reach (empty below `samples` detail).
    public var symbols: SymbolView
    /// Per-stack totals over `symbols`' stack ids.
    public var stackTotals: [Int64]

    public init(
        detail: HeadRequest.Detail, series: [Series] = [], bounds: ClosedRange<Int64>? = nil, selectedSamples: Int = 0,
        selectedBytes: Int = 0, isBlock: Bool = false, symbols: SymbolView = .empty, stackTotals: [Int64] = []
    ) {
        self.detail = detail
        self.series = series
        self.bounds = bounds
        self.selectedSamples = selectedSamples
        self.selectedBytes = selectedBytes
        self.isBlock = isBlock
        self.symbols = symbols
        self.stackTotals = stackTotals
    }

    /// The extract of `source` for `request`; `totals` (over the source's
    /// stack ids) when the request asks for samples. Nil when nothing of the
    /// source is selected.
    /// - Complexity: O(selected series × profiles in range) plus, with
    ///   totals, O(stacks) to keep the symbols they reach.
    init?(_ source: some QuerySource, request: HeadRequest, totals: StackTotals?) {
        let refs = source.select(request.selector).filter { source.hasProfiles($0, in: request.range.closed) }
        detail = request.detail
        bounds = source.timeBounds
        isBlock = source.footprint(samples: 0).tier == .block
        guard detail != .bounds else {
            guard bounds != nil else { return nil }
            (series, selectedSamples, selectedBytes, symbols, stackTotals) = ([], 0, 0, .empty, [])
            return
        }
        guard !refs.isEmpty else { return nil }
        // Counted for the budget (samples) and `AnalyzeQuery` (profiles); label requests skip the pass.
        selectedSamples = detail >= .profiles ? source.sampleCount(of: refs, in: request.range, spans: request.spans) : 0
        selectedBytes = detail >= .profiles ? source.footprint(samples: selectedSamples).bytes : 0
        if detail == .samples, let totals {
            series = []
            (symbols, stackTotals) = source.symbolView.reachable(from: totals.values)
            return
        }
        symbols = .empty
        stackTotals = []
        if request.detail == .labels, let names = request.labelNames {
            let keep = Set(names)
            series = Set(refs.map { source.labels(of: $0).projected(onto: keep) }).sorted().map { Series(labels: $0) }
            return
        }
        series = refs.map { ref in
            var s = Series(labels: source.labels(of: ref))
            if request.detail >= .profiles {
                source.forEachProfile(of: ref, in: request.range) { time, total, span in
                    s.times.append(time)
                    s.totals.append(total)
                    s.spans.append(span)
                }
            }
            return s
        }
    }
}

extension HeadExtract: QuerySource {
    public var symbolView: SymbolView { symbols }

    /// Every series: the ingester selected them with the request's selector
    /// (matching again here would fail on projected label sets).
    public func select(_ selector: LabelSelector) -> [UInt32] { series.indices.map { UInt32($0) } }

    public func labels(of ref: UInt32) -> LabelSet { series[Int(ref)].labels }

    /// Below `profiles` detail, every series sent had a profile in the request's range.
    public func hasProfiles(_ ref: UInt32, in range: ClosedRange<Int64>) -> Bool {
        detail < .profiles || series[Int(ref)].times.contains { range.contains($0) }
    }

    public func forEachProfile(of ref: UInt32, in range: TimeRange, _ body: (Int64, Int64, UInt64) -> Void) {
        let s = series[Int(ref)]
        for i in s.times.indices where range.contains(s.times[i]) { body(s.times[i], s.totals[i], s.spans[i]) }
    }

    /// The request's totals, whatever `refs`, `range` and `spans` are.
    public func addSamples(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals) -> Bool {
        guard !stackTotals.isEmpty else { return false }
        totals.add(StackTotals(values: stackTotals))
        return true
    }

    public var timeBounds: ClosedRange<Int64>? { bounds }

    /// The request's selected samples, whatever `refs`, `range` and `spans` are.
    public func sampleCount(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?) -> Int { selectedSamples }

    /// The tier the ingester's source sits in, the bytes its selection occupies there.
    public func footprint(samples: Int) -> SourceFootprint { SourceFootprint(tier: isBlock ? .block : .head, profileBytes: selectedBytes) }
}
