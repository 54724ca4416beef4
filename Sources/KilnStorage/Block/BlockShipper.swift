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

    /// When the local block directory `path` was marked shipped; nil while it is not.
    public static func shippedAt(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path + "/" + shippedMarker))?[.modificationDate] as? Date
    }

    /// Uploads the local block in `directory` (its files, then `meta.json`) and marks it shipped.
    public func ship(_ meta: BlockMeta, from directory: String) async throws {
        for file in meta.files.map(\.name) + [BlockSchema.metaFile] {
            let bytes = try FileIO.read(directory + "/" + file)
            try await store.put(Self.key(tenant: meta.tenant, ulid: meta.ulid, file: file), bytes)
        }
        let marker = try FileSink(path: directory + "/" + Self.shippedMarker)
        try marker.close()
        try FileIO.syncDirectory(directory)
        Self.shipped.increment()
    }

    /// Downloads block `meta` whole into the new directory `directory` (the
    /// compactor reads its sources locally, front to back).
    public func download(_ meta: BlockMeta, to directory: String) async throws {
        try FileIO.makeDirectory(directory)
        for file in meta.files.map(\.name) {
            let bytes = try await store.get(Self.key(tenant: meta.tenant, ulid: meta.ulid, file: file))
            try FileIO.write(directory + "/" + file, bytes)
        }
        try FileIO.write(directory + "/" + BlockSchema.metaFile, try meta.encoded())
    }

    /// The complete blocks in the bucket (those with a `meta.json`), by tenant, ULIDs ascending.
    public func listBlocks() async throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for object in try await store.listAll(prefix: "") {
            let parts = object.key.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 4, parts[1] == "blocks", parts[3] == BlockSchema.metaFile[...], ULID(String(parts[2])) != nil else { continue }
            out[String(parts[0]), default: []].append(String(parts[2]))
        }
        return out.mapValues { $0.sorted() }
    }

    /// The `meta.json` of block `ulid` of `tenant` in the bucket (one GET).
    /// - Throws: `ObjectStoreError` (`.notFound`: no such complete block),
    ///   `StorageError` for one that does not decode.
    public func meta(tenant: String, ulid: String) async throws -> BlockMeta {
        let key = Self.key(tenant: tenant, ulid: ulid, file: BlockSchema.metaFile)
        return try BlockMeta.decode(try await store.get(key), path: "bucket:" + key)
    }

    /// Deletes a block from the bucket: `meta.json` first, so it stops being
    /// visible before it stops being whole.
    public func delete(tenant: String, ulid: String, files: [String]) async throws {
        try await store.delete(Self.key(tenant: tenant, ulid: ulid, file: BlockSchema.metaFile))
        for file in files { try await store.delete(Self.key(tenant: tenant, ulid: ulid, file: file)) }
    }
}
