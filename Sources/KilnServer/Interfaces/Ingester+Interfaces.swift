import KilnQuery
import KilnStorage
import Logging

/// The ingester is each narrow interface the routes take; the wiring
/// (`KilnApplication.build`) hands it to them as such.
extension Ingester: PushSink, HeadFlusher, IngesterHeads {
    public func head(for tenant: String) -> Head? { heads.existingHead(for: tenant) }

    /// An ingester's listing is of its own blocks: adopting them until done once.
    public func refreshBucket(logger: Logger?) async throws { try await syncBucket(logger: logger) }

    public func flushHeads(logger: Logger) async throws -> [BlockMeta] {
        let metas = try await cut()
        await shipPending(logger: logger)
        return metas
    }
}

/// A querier's bucket view is its query catalog.
extension BucketReader: QueryCatalog {}
