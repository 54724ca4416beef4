import KilnHead
import KilnStorage

extension Query {
    /// An ingester's answer to a querier's `request`: one extract per source
    /// of this query's head with anything selected — the live head (read
    /// under its lock), the frozen heads, and the blocks `includeBlock` keeps
    /// (those the querier does not read from the bucket itself).
    ///
    /// The budget's sample limit applies to everything selected here
    /// (`QueryError.tooLarge`, checked before a block's pages are read), its
    /// deadline between sources. A block whose pages do not decode is
    /// reported to `onBlockError` and left out, as in a local query.
    public func extracts(for request: HeadRequest, includeBlock: (Block) -> Bool) async throws -> [HeadExtract] {
        let limit = budget.maxSamples ?? .max
        var selected = 0
        /// The source's selection when the request merges samples, counted
        /// against the budget; nil below `samples` detail (`HeadExtract` selects itself).
        func samplesSelection(_ s: some QuerySource) throws -> [UInt32]? {
            guard request.detail == .samples else { return nil }
            let refs = s.select(request.selector)
            selected += s.sampleCount(of: refs, in: request.range, spans: request.spans)
            if selected > limit { throw QueryError.tooLarge(samples: selected, limit: limit) }
            return refs
        }
        var out: [HeadExtract] = []
        let sources = try await sources(for: request, keepBlock: includeBlock) { live in
            var totals: StackTotals?
            if let refs = try samplesSelection(live) {
                var t = StackTotals(stackCount: live.symbolView.stackCount)
                _ = live.addSamples(of: refs, in: request.range, spans: request.spans, to: &t)
                totals = t
            }
            if let e = HeadExtract(copy live, request: request, totals: totals) { out.append(e) }
        }
        for s in sources.list {
            try budget.check()
            let refs = try samplesSelection(s)
            do {
                var totals: StackTotals?
                if let refs {
                    var t = StackTotals(stackCount: s.symbolView.stackCount)
                    _ = try await s.addSamples(of: refs, in: request.range, spans: request.spans, to: &t)
                    totals = t
                }
                if let e = HeadExtract(s, request: request, totals: totals) { out.append(e) }
            } catch let e as BlockError {
                onBlockError(e)
            }
        }
        return out
    }
}
