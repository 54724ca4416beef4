import Foundation
import KilnHead
import KilnModel
import KilnStorage

extension Query {
    /// Samples per unit of work: a block's selected profiles are cut into
    /// pieces of about this many samples, so that one large block keeps every
    /// core busy (a piece of 2 M samples is a few milliseconds of decoding;
    /// its partial totals cost one pass over the block's stack ids to fold in).
    public static let defaultSamplesPerUnit = 2_000_000

    /// One piece of a merge: the samples of `rows` of source `source`, or all
    /// the selected samples of a head (`rows` nil).
    struct Unit: Sendable {
        let source: Int
        let rows: [Int]?
    }

    /// Sums the samples of every series `selector` matches in `range`, per
    /// source over its own stack ids, and hands each source's totals to
    /// `combine` in source order (fixed sources, the ingesters' extracts, the
    /// live head, frozen heads, blocks).
    ///
    /// The live head is summed under its lock, at once; the other sources are
    /// cut into units (`samplesPerUnit` samples) run on up to one task per core.
    /// Partial totals of a source are added together as they arrive, and a
    /// source is combined once all its units are in and every earlier source
    /// has been: memory holds the totals of the sources in flight, not of all.
    ///
    /// A `BlockError` drops that source (reported once to `onBlockError`);
    /// any other error cancels the merge and is thrown. The budget is checked
    /// before any page is read (`QueryError.tooLarge`, from the index's sample
    /// counts) and between pages (`QueryError.deadlineExceeded`, cancellation).
    /// `callSite` masks each source's totals before they are combined;
    /// `spans` keeps only the profiles of those spans.
    func mergeTotals(
        of selector: LabelSelector, in range: TimeRange, spans: SpanSelector? = nil,
        callSite: CallSiteFilter = CallSiteFilter(),
        combine: (StackTotals, SymbolView) -> Void
    ) async throws {
        func combineFiltered(_ totals: StackTotals, _ symbols: SymbolView) {
            var totals = totals
            callSite.apply(&totals, symbols: symbols)
            combine(totals, symbols)
        }
        let (extracts, pinned) = try await remoteSources(HeadRequest(selector: selector, range: range, spans: spans, detail: .samples))
        var sources: [any QuerySource] = fixed + extracts as [any QuerySource]
        var live: (StackTotals, SymbolView)?
        var selectedSamples = 0
        if let head {
            let limit = budget.maxSamples ?? .max
            let (frozen, blocks) = head.snapshot { s in
                let refs = s.select(selector)
                selectedSamples = s.sampleCount(of: refs, in: range, spans: spans)
                // Over budget: sum nothing; the check below throws.
                guard selectedSamples <= limit else { return }
                let symbols = s.symbols.view
                var totals = StackTotals(stackCount: symbols.stackCount)
                if s.addSamples(of: refs, in: range, spans: spans, to: &totals) { live = (totals, symbols) }
            }
            if selectedSamples > limit { throw QueryError.tooLarge(samples: selectedSamples, limit: limit) }
            sources += frozen.map(\.state) as [any QuerySource]
            if pinned == nil { sources += blocks as [any QuerySource] }
        }
        if let pinned { sources += pinned as [any QuerySource] }
        let liveAt = fixed.count + extracts.count

        var units: [Unit] = []
        var unitsLeft = [Int](repeating: 0, count: sources.count)
        for (i, s) in sources.enumerated() {
            guard let block = s as? Block else {
                selectedSamples += s.sampleCount(of: s.select(selector), in: range, spans: spans)
                units.append(Unit(source: i, rows: nil))
                unitsLeft[i] = 1
                continue
            }
            var piece: [Int] = []
            var pieceSamples = 0
            for row in block.profileRows(of: block.select(selector), in: range, spans: spans) {
                piece.append(row)
                pieceSamples += block.sampleCount(ofProfile: row)
                selectedSamples += block.sampleCount(ofProfile: row)
                if pieceSamples >= samplesPerUnit {
                    units.append(Unit(source: i, rows: piece))
                    unitsLeft[i] += 1
                    (piece, pieceSamples) = ([], 0)
                }
            }
            if !piece.isEmpty {
                units.append(Unit(source: i, rows: piece))
                unitsLeft[i] += 1
            }
        }

        if let limit = budget.maxSamples, selectedSamples > limit { throw QueryError.tooLarge(samples: selectedSamples, limit: limit) }
        try budget.check()
        let budget = self.budget

        enum Outcome: Sendable {
            case totals(StackTotals?)
            case corrupt(BlockError)
        }
        var partial = [StackTotals?](repeating: nil, count: sources.count)
        var failed = [Bool](repeating: false, count: sources.count)
        var nextToCombine = 0
        func drain() {
            while nextToCombine <= sources.count {
                if nextToCombine == liveAt, let (totals, symbols) = live {
                    combineFiltered(totals, symbols)
                    live = nil
                }
                guard nextToCombine < sources.count, unitsLeft[nextToCombine] == 0 else { return }
                if !failed[nextToCombine], let totals = partial[nextToCombine] { combineFiltered(totals, sources[nextToCombine].symbolView) }
                partial[nextToCombine] = nil
                nextToCombine += 1
            }
        }
        drain()
        try await withThrowingTaskGroup(of: (Unit, Outcome).self) { group in
            var next = 0
            func start() {
                let unit = units[next]
                let source = sources[unit.source]
                next += 1
                group.addTask {
                    var totals = StackTotals(stackCount: source.symbolView.stackCount)
                    do {
                        try budget.check()
                        if let rows = unit.rows, let block = source as? Block {
                            try await block.forEachSampleRun(profiles: rows, checkpoint: budget.check) { stacks, values in
                                totals.add(stacks: stacks, values: values)
                            }
                            return (unit, .totals(totals))
                        }
                        let any = try await source.addSamples(of: source.select(selector), in: range, spans: spans, to: &totals)
                        return (unit, .totals(any ? totals : nil))
                    } catch let e as BlockError {
                        return (unit, .corrupt(e))
                    }
                }
            }
            while next < min(units.count, max(ProcessInfo.processInfo.activeProcessorCount, 1)) { start() }
            while let (unit, outcome) = try await group.next() {
                if next < units.count { start() }
                let i = unit.source
                switch outcome {
                case .totals(let t?) where !failed[i]:
                    if partial[i] == nil { partial[i] = t } else { partial[i]!.add(t) }
                case .corrupt(let e) where !failed[i]:
                    failed[i] = true
                    partial[i] = nil
                    if let b = sources[i] as? Block { onBlockError(b, e) }
                default:
                    break
                }
                unitsLeft[i] -= 1
                drain()
            }
        }
        drain()
    }
}
