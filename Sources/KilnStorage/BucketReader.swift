import Logging

/// A querier's store: the blocks of a bucket the ingesters own, listed into
/// per-tenant heads that hold nothing else and read through a cache. No
/// WAL, no blocks of its own, and nothing in the bucket is ever changed.
public final class BucketReader: Sendable {
    /// Each tenant's blocks in the bucket (the heads' live and frozen parts stay empty).
    public let heads = TenantHeads()
    let shipper: BlockShipper
    /// Caches what is read of blocks; nil reads straight from the bucket.
    let cache: ObjectCache?
    /// Whether the bucket has been listed once since start.
    private let listed = LockedState(false)
    /// One listing at a time: the maintenance pass and a query's re-listing may overlap.
    private let gate = CutGate()

    public init(store: any ObjectStore, cache: ObjectCache?) {
        shipper = BlockShipper(store: store)
        self.cache = cache
    }

    /// False until the bucket has been listed once: an answer before then
    /// could silently miss its blocks, so the query API refuses to answer.
    public var bucketListed: Bool { listed.withLock { $0 } }

    /// The tenant's blocks, nil when it has none.
    public func head(for tenant: String) -> Head? { heads.existingHead(for: tenant) }

    /// The view of the bucket brought up to date: blocks listed and not yet
    /// open are opened; open ones no longer listed (deleted by retention or
    /// after a compaction) or listed as another block's source are dropped.
    /// Runs at start, on each maintenance pass, and when an ingester reports
    /// the view stale.
    /// - Throws: `ObjectStoreError` when the bucket cannot be listed or read.
    public func refreshBucket(logger: Logger? = nil) async throws {
        await gate.acquire()
        defer { gate.release() }
        let listing = try await shipper.listBlocks()
        for (tenant, head) in heads.all where listing[tenant] == nil && !head.blocks.isEmpty {
            head.replace(head.blocks.map(\.ulid), with: [])
        }
        for (tenant, ulids) in listing {
            let head = heads.head(for: tenant)
            let known = Set(head.blocks.map(\.ulid))
            let opened = try await shipper.openBlocks(ulids.filter { !known.contains($0) }, tenant: tenant, cache: cache, logger: logger)
            let present = Set(ulids)
            let superseded = Set((head.blocks + opened).flatMap(\.meta.sources))
            let gone = head.blocks.map(\.ulid).filter { !present.contains($0) || superseded.contains($0) }
            head.replace(gone, with: opened.filter { !superseded.contains($0.ulid) })
        }
        listed.withLock { $0 = true }
    }

    /// Sets the block gauges from what is listed.
    public func recordGauges() { heads.recordGauges() }
}
