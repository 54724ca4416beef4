import Foundation
import KilnFormat
import Logging
import Metrics

/// Ships blocks to an object store, as `<tenant>/blocks/<ULID>/<file>`:
/// the data files first and `meta.json` last, so a block is visible in the
/// bucket (listing by `meta.json`) only once it is complete. A shipped block
/// gets a `.shipped` marker in its local directory; blocks without one are
/// shipped again on the next pass, so uploads interrupted by a crash resume
/// on start. Puts are idempotent: re-shipping a block rewrites the same bytes.
public struct BlockShipper: Sendable {
    public let store: any ObjectStore
    /// Local marker of a block whose every file is in the bucket.
    public static let shippedMarker = ".shipped"

    static let shipped = Counter(label: "kiln_blocks_shipped_total")
    static let shipFailures = Counter(label: "kiln_block_ship_failures_total")

    public init(store: any ObjectStore) { self.store = store }

    public static func key(tenant: String, ulid: String, file: String) -> String { "\(tenant)/blocks/\(ulid)/\(file)" }

    public static func isShipped(_ blockPath: String) -> Bool {
        FileManager.default.fileExists(atPath: blockPath + "/" + shippedMarker)
    }

    /// Uploads the block at `path` (its files, then `meta.json`) and marks it shipped.
    public func ship(_ block: Block) async throws {
        let meta = block.meta
        for file in meta.files.map(\.name) + [BlockSchema.metaFile] {
            let bytes = try FileIO.read(block.path + "/" + file)
            try await store.put(Self.key(tenant: meta.tenant, ulid: meta.ulid, file: file), bytes)
        }
        let marker = try FileSink(path: block.path + "/" + Self.shippedMarker)
        try marker.close()
        try FileIO.syncDirectory(block.path)
        Self.shipped.increment()
    }

    /// Deletes a block from the bucket: `meta.json` first, so it stops being
    /// visible before it stops being whole.
    public func delete(tenant: String, ulid: String, files: [String]) async throws {
        try await store.delete(Self.key(tenant: tenant, ulid: ulid, file: BlockSchema.metaFile))
        for file in files { try await store.delete(Self.key(tenant: tenant, ulid: ulid, file: file)) }
    }
}

extension Ingester {
    /// Ships every local block not yet in the bucket; a block that fails is
    /// retried on the next pass (the store already retried transient errors).
    /// - Returns: the ULIDs shipped.
    @discardableResult
    public func shipPending(logger: Logger? = nil) async -> [String] {
        guard let shipper else { return [] }
        var done: [String] = []
        for (tenant, head) in heads.all {
            for block in head.blocks where !BlockShipper.isShipped(block.path) {
                do {
                    try await shipper.ship(block)
                    done.append(block.ulid)
                } catch {
                    BlockShipper.shipFailures.increment()
                    logger?.warning("block upload failed; will retry", metadata: ["tenant": "\(tenant)", "block": "\(block.ulid)", "error": "\(error)"])
                }
            }
        }
        return done
    }
}
