import KilnFormat

/// A block in a bucket (`<tenant>/blocks/<ULID>/<file>`, as `BlockShipper`
/// writes it), read by ranged GETs through the local cache, or directly
/// when there is no cache.
public struct BucketBlockFiles: BlockFiles {
    public let store: any ObjectStore
    public let tenant: String
    public let ulid: String
    public let cache: ObjectCache?

    public init(store: any ObjectStore, tenant: String, ulid: String, cache: ObjectCache?) {
        (self.store, self.tenant, self.ulid, self.cache) = (store, tenant, ulid, cache)
    }

    public var location: String { "bucket:" + BlockShipper.key(tenant: tenant, ulid: ulid, file: "").dropLast() }

    public func read(_ file: String, _ range: Range<Int>) async throws -> [UInt8] {
        let key = BlockShipper.key(tenant: tenant, ulid: ulid, file: file)
        guard let cache else { return try await store.get(key, range: range) }
        return try await cache.read(store, key, range)
    }

    public func prefetch(_ file: String, _ ranges: [Range<Int>]) async throws {
        try await cache?.prefetch(store, BlockShipper.key(tenant: tenant, ulid: ulid, file: file), ranges)
    }
}

extension Block {
    /// Opens block `ulid` of `tenant` from the bucket: `meta.json` (one GET),
    /// then the index, the symbols and the profiles footer and table through
    /// `cache`; the samples are read later, page by page, as queries need them.
    /// - Throws: `ObjectStoreError` when the bucket fails (`.notFound`: no
    ///   such complete block), `BlockError` or `StorageError` for a block that
    ///   does not decode.
    public convenience init(bucket store: any ObjectStore, tenant: String, ulid: String, cache: ObjectCache?) async throws {
        let meta = try await BlockShipper(store: store).meta(tenant: tenant, ulid: ulid)
        try await self.init(meta: meta, files: BucketBlockFiles(store: store, tenant: tenant, ulid: ulid, cache: cache))
    }

    /// The same block read from `files` instead (a shipped block whose local
    /// copy is about to go): re-reads only what opening reads, through `files`.
    public func relocated(to files: any BlockFiles) async throws -> Block {
        try await Block(meta: meta, files: files)
    }
}
