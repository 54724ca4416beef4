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

    /// One unit of a merge's parallel work: a piece of source `source`'s selection `refs`.
    struct Unit: Sendable {
        let source: Int
        let refs: [UInt32]
        let piece: MergePiece
    }

    /// Sums the samples of every series `selector` matches in `range`, per
    /// source over its own stack ids, and hands each source's totals to
    /// `combine` in source order (fixed sources, the ingesters' extracts, the
    /// live head, frozen heads, blocks).
    ///
    /// The live head is summed under its lock, at once; the other sources are
    /// cut into units (`mergePieces`, about `samplesPerUnit` samples) run on
    /// up to one task per core. Partial totals of a source are added
    /// together as they arrive, and a source is combined once all its units
    /// are in and every earlier source has been: memory holds the totals of
    /// the sources in flight, not of all.
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
        let limit = budget.maxSamples ?? .max
        var live: (StackTotals, SymbolView)?
        var selectedSamples = 0
        let assembled = try await sources(for: HeadRequest(selector: selector, range: range, spans: spans, detail: .samples)) { s in
            let refs = s.select(selector)
            selectedSamples = s.sampleCount(of: refs, in: range, spans: spans)
            // Over budget: sum nothing; the check below throws.
            guard selectedSamples <= limit else { return }
            let symbols = s.symbols.view
            var totals = StackTotals(stackCount: symbols.stackCount)
            if s.addSamples(of: refs, in: range, spans: spans, to: &totals) { live = (totals, symbols) }
        }
        if selectedSamples > limit { throw QueryError.tooLarge(samples: selectedSamples, limit: limit) }
        let sources = assembled.list
        let liveAt = assembled.liveAt

        var units: [Unit] = []
        var unitsLeft = [Int](repeating: 0, count: sources.count)
        for (i, s) in sources.enumerated() {
            let refs = s.select(selector)
            let (pieces, samples) = s.mergePieces(of: refs, in: range, spans: spans, samplesPerPiece: samplesPerUnit)
            selectedSamples += samples
            units += pieces.map { Unit(source: i, refs: refs, piece: $0) }
            unitsLeft[i] = pieces.count
        }

        if selectedSamples > limit { throw QueryError.tooLarge(samples: selectedSamples, limit: limit) }
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
                        let any = try await source.addSamples(
                            of: unit.piece, refs: unit.refs, in: range, spans: spans, to: &totals, checkpoint: budget.check)
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
                    onBlockError(e)
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
