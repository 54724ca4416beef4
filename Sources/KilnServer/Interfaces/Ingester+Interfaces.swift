import KilnQuery
import KilnStorage
import Logging

/// The ingester is each narrow interface the routes take; the wiring
/// (`KilnApplication.build`) hands it to them as such.
extension Ingester: PushSink, HeadFlusher, IngesterHeads {
    public func head(for tenant: String) -> Head? { heads.existingHead(for: tenant) }

    public func flushHeads(logger: Logger) async throws -> [BlockMeta] {
        let metas = try await cut()
        await shipPending(logger: logger)
        return metas
    }
}
