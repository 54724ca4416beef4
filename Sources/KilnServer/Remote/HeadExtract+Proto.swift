import KilnHead
import KilnModel
import KilnProto
import KilnQuery
import KilnStorage

/// The internal head API's messages (Sources/KilnProto/proto/kiln/ingester/v1)
/// to and from KilnQuery's values. Decoding checks every id against its
/// table, so a response that does not fit (another version, a bug) is an
/// error of that ingester, never an out-of-range read in the querier.
extension HeadRequest {
    init(proto r: Kiln_Ingester_V1_SelectHeadRequest) throws {
        var matchers: [LabelMatcher] = []
        for m in r.matchers {
            guard let op = LabelMatcher.Op(rawValue: m.op) else {
                throw ConnectError(.invalidArgument, "matcher \(m.name): unknown operator \"\(m.op)\"")
            }
            do { matchers.append(try LabelMatcher(m.name, op, m.value)) } catch { throw ConnectError(.invalidArgument, "\(error)") }
        }
        guard let detail = Detail(rawValue: r.detail.rawValue) else { throw ConnectError(.invalidArgument, "unknown detail \(r.detail.rawValue)") }
        self.init(
            selector: LabelSelector(matchers), range: TimeRange(startNanos: r.startNanos, endNanos: r.endNanos),
            spans: r.hasSpans_p ? SpanSelector(ids: Set(r.spanIds)) : nil, detail: detail,
            labelNames: r.projectLabels ? r.labelNames : nil)
    }

    func proto(knownBlocks: [String]) -> Kiln_Ingester_V1_SelectHeadRequest {
        var r = Kiln_Ingester_V1_SelectHeadRequest()
        r.matchers = selector.matchers.map { m in
            var p = Kiln_Ingester_V1_Matcher()
            (p.name, p.op, p.value) = (m.name, m.op.rawValue, m.value)
            return p
        }
        (r.startNanos, r.endNanos) = (range.startNanos, range.endNanos)
        r.detail = Kiln_Ingester_V1_Detail(rawValue: detail.rawValue) ?? .bounds
        if let spans {
            r.hasSpans_p = true
            r.spanIds = spans.ids.sorted()
        }
        r.knownBlocks = knownBlocks
        if let labelNames {
            r.projectLabels = true
            r.labelNames = labelNames
        }
        return r
    }
}

/// A response of an ingester that does not decode into extracts.
struct MalformedExtract: Error, CustomStringConvertible {
    let reason: String
    var description: String { "malformed head extract: \(reason)" }
}

extension HeadExtract {
    init(proto e: Kiln_Ingester_V1_Extract, detail: HeadRequest.Detail) throws(MalformedExtract) {
        var series: [Series] = []
        series.reserveCapacity(e.series.count)
        for s in e.series {
            guard s.times.count == s.totals.count, s.times.count == s.spanIds.count else {
                throw MalformedExtract(reason: "a series' profile columns differ in length")
            }
            let labels: LabelSet
            do { labels = try LabelSet(s.labels.map { Label($0.name, $0.value) }) } catch { throw MalformedExtract(reason: "\(error)") }
            series.append(Series(labels: labels, times: s.times, totals: s.totals, spans: s.spanIds))
        }
        guard e.minTimeNanos <= e.maxTimeNanos else { throw MalformedExtract(reason: "bounds out of order") }
        // Bounded so that summing the extracts of many ingesters cannot overflow.
        guard (0...Self.maxCount).contains(e.selectedSamples), (0...Self.maxCount).contains(e.selectedBytes) else {
            throw MalformedExtract(reason: "counts out of range")
        }
        let symbols = e.hasSymbols ? try Self.symbols(e.symbols) : SymbolView.empty
        guard e.stackTotals.isEmpty || e.stackTotals.count == symbols.stackCount else {
            throw MalformedExtract(reason: "\(e.stackTotals.count) stack totals for \(symbols.stackCount) stacks")
        }
        self.init(
            detail: detail, series: series, bounds: e.hasBounds_p ? e.minTimeNanos...e.maxTimeNanos : nil,
            selectedSamples: Int(e.selectedSamples), selectedBytes: Int(e.selectedBytes), isBlock: e.isBlock,
            symbols: symbols, stackTotals: e.stackTotals)
    }

    /// Largest sample or byte count an extract may claim: 2^50, far above any
    /// head, far below what a sum over thousands of them could overflow.
    static let maxCount: Int64 = 1 << 50

    /// Symbols with every id checked against its table (`SymbolView`'s invariants).
    private static func symbols(_ p: Kiln_Ingester_V1_Symbols) throws(MalformedExtract) -> SymbolView {
        let strings = p.strings.isEmpty ? [""] : p.strings
        guard strings[0].isEmpty else { throw MalformedExtract(reason: "string 0 is not empty") }
        func string(_ id: UInt32) throws(MalformedExtract) -> UInt32 {
            guard id < strings.count else { throw MalformedExtract(reason: "string id \(id) out of range") }
            return id
        }
        var functions: [FunctionSymbol] = []
        for f in p.functions {
            functions.append(
                FunctionSymbol(
                    name: try string(f.name), systemName: try string(f.systemName), filename: try string(f.filename), startLine: f.startLine))
        }
        var mappings: [MappingSymbol] = []
        for m in p.mappings {
            guard m.flags <= UInt8.max else { throw MalformedExtract(reason: "mapping flags out of range") }
            mappings.append(
                MappingSymbol(
                    memoryStart: m.memoryStart, memoryLimit: m.memoryLimit, fileOffset: m.fileOffset,
                    filename: try string(m.filename), buildID: try string(m.buildID), flags: MappingFlags(rawValue: UInt8(m.flags))))
        }
        var locations: [LocationSymbol] = []
        for l in p.locations {
            guard l.mapping == LocationSymbol.noMapping || l.mapping < mappings.count else {
                throw MalformedExtract(reason: "mapping id out of range")
            }
            guard l.functionIds.count == l.lineNumbers.count, l.functionIds.allSatisfy({ $0 < functions.count }) else {
                throw MalformedExtract(reason: "a location's lines do not fit")
            }
            locations.append(
                LocationSymbol(
                    mapping: l.mapping, address: l.address,
                    lines: zip(l.functionIds, l.lineNumbers).map { LineSymbol(function: $0, line: $1) }))
        }
        let parents = p.stackParents
        let stackLocations = p.stackLocations
        guard !parents.isEmpty, parents.count == stackLocations.count, parents[0] == 0, stackLocations[0] == StackTree.noLocation else {
            throw MalformedExtract(reason: "the stack tree has no root")
        }
        for i in 1..<parents.count where parents[i] >= i || stackLocations[i] >= locations.count {
            throw MalformedExtract(reason: "stack node \(i) does not fit")
        }
        return SymbolView(
            strings: strings, functions: functions, mappings: mappings, locations: locations,
            stackParents: parents, stackLocations: stackLocations)
    }

    var proto: Kiln_Ingester_V1_Extract {
        var e = Kiln_Ingester_V1_Extract()
        e.series = series.map { s in
            var p = Kiln_Ingester_V1_Series()
            p.labels = s.labels.labels.map { l in
                var pl = Kiln_Ingester_V1_Label()
                (pl.name, pl.value) = (l.name, l.value)
                return pl
            }
            (p.times, p.totals, p.spanIds) = (s.times, s.totals, s.spans)
            return p
        }
        if let bounds {
            e.hasBounds_p = true
            (e.minTimeNanos, e.maxTimeNanos) = (bounds.lowerBound, bounds.upperBound)
        }
        (e.selectedSamples, e.selectedBytes, e.isBlock) = (Int64(selectedSamples), Int64(selectedBytes), isBlock)
        if !stackTotals.isEmpty {
            var p = Kiln_Ingester_V1_Symbols()
            p.strings = symbols.strings
            p.functions = symbols.functions.map { f in
                var pf = Kiln_Ingester_V1_Function()
                (pf.name, pf.systemName, pf.filename, pf.startLine) = (f.name, f.systemName, f.filename, f.startLine)
                return pf
            }
            p.mappings = symbols.mappings.map { m in
                var pm = Kiln_Ingester_V1_Mapping()
                (pm.memoryStart, pm.memoryLimit, pm.fileOffset) = (m.memoryStart, m.memoryLimit, m.fileOffset)
                (pm.filename, pm.buildID, pm.flags) = (m.filename, m.buildID, UInt32(m.flags.rawValue))
                return pm
            }
            p.locations = symbols.locations.map { l in
                var pl = Kiln_Ingester_V1_Location()
                (pl.mapping, pl.address) = (l.mapping, l.address)
                (pl.functionIds, pl.lineNumbers) = (l.lines.map(\.function), l.lines.map(\.line))
                return pl
            }
            (p.stackParents, p.stackLocations) = (symbols.stackParents, symbols.stackLocations)
            e.symbols = p
            e.stackTotals = stackTotals
        }
        return e
    }
}
