import KilnFormat
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
        isBlock = source is Block
        guard detail != .bounds else {
            guard bounds != nil else { return nil }
            (series, selectedSamples, selectedBytes, symbols, stackTotals) = ([], 0, 0, .empty, [])
            return
        }
        guard !refs.isEmpty else { return nil }
        // Counted for the budget (samples) and `AnalyzeQuery` (profiles); label requests skip the pass.
        selectedSamples = detail >= .profiles ? source.sampleCount(of: refs, in: request.range, spans: request.spans) : 0
        selectedBytes = detail >= .profiles ? Self.bytes(of: source, samples: selectedSamples) : 0
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

    /// Bytes a selection of `samples` samples occupies in `source`: a head's
    /// estimated size pro rata, a block's index, profile and symbol files.
    private static func bytes(of source: some QuerySource, samples: Int) -> Int {
        if let h = source as? HeadState { return h.estimatedBytes * samples / max(h.sampleCount, 1) }
        guard let b = source as? Block else { return 0 }
        let names: Set<String> = [BlockSchema.indexFile, BlockSchema.profilesFile, BlockSchema.symbolsFile]
        return b.meta.files.filter { names.contains($0.name) }.reduce(0) { $0 + $1.size }
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
}

extension SymbolView {
    /// No symbols: one root stack node.
    public static let empty = SymbolView(
        strings: [""], functions: [], mappings: [], locations: [],
        stackParents: [0], stackLocations: [StackTree.noLocation])

    /// The stack nodes on a path to a non-zero total (the root always), and
    /// the locations, functions, mappings and strings they reach, renumbered
    /// densely in their old order (so a parent's id stays below its
    /// child's, and string 0 stays `""`); with the totals over the new ids.
    /// - Precondition: `totals.count == stackCount`.
    /// - Complexity: O(stacks + kept symbols).
    public func reachable(from totals: [Int64]) -> (SymbolView, [Int64]) {
        precondition(totals.count == stackCount)
        var keep = [Bool](repeating: false, count: stackCount)
        if !keep.isEmpty { keep[0] = true }
        for s in stride(from: stackCount - 1, to: 0, by: -1) where keep[s] || totals[s] != 0 {
            keep[s] = true
            keep[Int(stackParents[s])] = true
        }
        var stringMap: [UInt32: UInt32] = [0: 0]
        var functionMap: [UInt32: UInt32] = [:]
        var mappingMap: [UInt32: UInt32] = [:]
        var locationMap: [UInt32: UInt32] = [:]
        var out = SymbolView.empty
        out.stackParents = []
        out.stackLocations = []
        func string(_ id: UInt32) -> UInt32 {
            if let n = stringMap[id] { return n }
            let n = UInt32(out.strings.count)
            out.strings.append(strings[Int(id)])
            stringMap[id] = n
            return n
        }
        func function(_ id: UInt32) -> UInt32 {
            if let n = functionMap[id] { return n }
            var f = functions[Int(id)]
            (f.name, f.systemName, f.filename) = (string(f.name), string(f.systemName), string(f.filename))
            let n = UInt32(out.functions.count)
            out.functions.append(f)
            functionMap[id] = n
            return n
        }
        func mapping(_ id: UInt32) -> UInt32 {
            if id == LocationSymbol.noMapping { return id }
            if let n = mappingMap[id] { return n }
            var m = mappings[Int(id)]
            (m.filename, m.buildID) = (string(m.filename), string(m.buildID))
            let n = UInt32(out.mappings.count)
            out.mappings.append(m)
            mappingMap[id] = n
            return n
        }
        func location(_ id: UInt32) -> UInt32 {
            if id == StackTree.noLocation { return id }
            if let n = locationMap[id] { return n }
            var l = locations[Int(id)]
            l.mapping = mapping(l.mapping)
            l.lines = l.lines.map { LineSymbol(function: function($0.function), line: $0.line) }
            let n = UInt32(out.locations.count)
            out.locations.append(l)
            locationMap[id] = n
            return n
        }
        var newID = [UInt32](repeating: 0, count: stackCount)
        var kept: [Int64] = []
        for s in 0..<stackCount where keep[s] {
            newID[s] = UInt32(out.stackParents.count)
            out.stackParents.append(s == 0 ? 0 : newID[Int(stackParents[s])])
            out.stackLocations.append(location(stackLocations[s]))
            kept.append(totals[s])
        }
        return (out, kept)
    }
}
