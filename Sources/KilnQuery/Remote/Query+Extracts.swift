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
        guard let head else { return [] }
        let limit = budget.maxSamples ?? .max
        var selected = 0
        func count(_ s: some QuerySource) throws {
            guard request.detail == .samples else { return }
            selected += s.sampleCount(of: s.select(request.selector), in: request.range, spans: request.spans)
            if selected > limit { throw QueryError.tooLarge(samples: selected, limit: limit) }
        }
        func extract(_ s: HeadState) throws -> HeadExtract? {
            try count(s)
            var totals: StackTotals?
            if request.detail == .samples {
                var t = StackTotals(stackCount: s.symbols.view.stackCount)
                _ = s.addSamples(of: s.select(request.selector), in: request.range, spans: request.spans, to: &t)
                totals = t
            }
            return HeadExtract(s, request: request, totals: totals)
        }
        var out: [HeadExtract] = []
        let (frozen, blocks) = try head.snapshot { live in
            if let e = try extract(live) { out.append(e) }
        }
        for f in frozen {
            try budget.check()
            if let e = try extract(f.state) { out.append(e) }
        }
        for b in blocks where includeBlock(b) {
            try budget.check()
            try count(b)
            do {
                var totals: StackTotals?
                if request.detail == .samples {
                    var t = StackTotals(stackCount: b.symbolView.stackCount)
                    _ = try await b.addSamples(of: b.select(request.selector), in: request.range, spans: request.spans, to: &t)
                    totals = t
                }
                if let e = HeadExtract(b, request: request, totals: totals) { out.append(e) }
            } catch let e as BlockError {
                onBlockError(b, e)
            }
        }
        return out
    }
}
