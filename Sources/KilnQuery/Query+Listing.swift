import KilnStorage
import Logging

extension Query {
    /// Runs `body` over the query `make` builds from `catalog`'s listing of
    /// the bucket, the one retry policy for a stale listing. The listing is
    /// stale when an ingester holds shipped blocks it lacks
    /// (`QueryError.behindIngesters`) or a block it lists is gone from the
    /// bucket (`ObjectStoreError.notFound`: compacted or expired since). Then
    /// the catalog re-lists and `body` runs once more over a fresh query; the
    /// same error again is thrown, rather than answer without those blocks.
    ///
    /// For a querier, whose listing lags the ingesters and the compactor; a
    /// process that writes its own blocks has nothing to re-list.
    /// - Cost: one more run of `body` and one bucket listing, only when stale.
    public static func relistingOnce<R>(
        _ catalog: any QueryCatalog, logger: Logger, make: () -> Query, _ body: (Query) async throws -> R
    ) async throws -> R {
        do {
            return try await body(make())
        } catch QueryError.behindIngesters(let blocks) {
            logger.info(
                "the ingesters hold blocks the bucket's listing lacks; re-listing it and running the query again",
                metadata: ["blocks": "\(blocks.prefix(5).joined(separator: ","))"])
        } catch let e as ObjectStoreError where e.kind == .notFound {
            logger.info("a block was gone from the bucket; re-listing it and running the query again", metadata: ["key": "\(e.key)"])
        }
        try await catalog.refreshBucket(logger: logger)
        return try await body(make())
    }
}
