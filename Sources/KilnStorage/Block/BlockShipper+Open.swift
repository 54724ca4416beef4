import Logging

extension BlockShipper {
    /// Opens the bucket's blocks `ulids` of `tenant` whose metadata `keep`
    /// accepts, reading them through `cache`. A block deleted since it was
    /// listed is left out; one that does not decode is skipped, counted
    /// (`kiln_block_corruptions_total`) and logged, as at start-up.
    /// Costs one GET of `meta.json` per block.
    /// - Throws: `ObjectStoreError` when the bucket cannot be read.
    func openBlocks(
        _ ulids: [String], tenant: String, cache: ObjectCache?, keep: (BlockMeta) -> Bool = { _ in true }, logger: Logger?
    ) async throws -> [Block] {
        var opened: [Block] = []
        for ulid in ulids {
            do {
                let meta = try await self.meta(tenant: tenant, ulid: ulid)
                guard keep(meta) else { continue }
                let files = BucketBlockFiles(store: store, tenant: tenant, ulid: ulid, cache: cache)
                opened.append(try await Block(meta: meta, files: files))
            } catch let e as ObjectStoreError where e.kind == .notFound {
                continue
            } catch let e as ObjectStoreError {
                throw e
            } catch {
                Ingester.blockCorruptions.increment()
                logger?.warning("bucket block skipped: it does not open", metadata: ["tenant": "\(tenant)", "block": "\(ulid)", "error": "\(error)"])
            }
        }
        return opened
    }
}
