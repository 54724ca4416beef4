import Foundation
import KilnFormat
import KilnModel
import Logging

extension Ingester {
    /// Ships every local block not yet in the bucket; a block that fails is
    /// retried on the next pass (the store already retried transient errors).
    /// - Returns: the ULIDs shipped.
    @discardableResult
    public func shipPending(logger: Logger? = nil) async -> [String] {
        guard let shipper else { return [] }
        var done: [String] = []
        for (tenant, head) in heads.all {
            for block in head.blocks {
                guard let directory = block.localDirectory, BlockShipper.shippedAt(directory) == nil else { continue }
                do {
                    try await shipper.ship(block.meta, from: directory)
                    done.append(block.ulid)
                } catch {
                    BlockShipper.shipFailures.increment()
                    logger?.warning(
                        "block upload failed; will retry", metadata: ["tenant": "\(tenant)", "block": "\(block.ulid)", "error": "\(error)"])
                }
            }
        }
        return done
    }

    /// Replaces each local block shipped at least `grace` ago by its copy in
    /// the bucket, then deletes the local directory: the local disk keeps
    /// only recent blocks, and reads of older ones go through the cache.
    ///
    /// The bucket copy is opened (index, symbols, profile table read back)
    /// before the local one goes, so a block never leaves the local disk
    /// unless the bucket can serve it; one that cannot stays local and is
    /// tried again on the next pass. Queries already holding the local block
    /// finish on its open file.
    /// - Returns: the ULIDs released.
    @discardableResult
    public func releaseShipped(grace: Duration, now: Date = Date(), logger: Logger? = nil) async -> [String] {
        guard let shipper else { return [] }
        await cutGate.acquire()
        defer { cutGate.release() }
        let graceSeconds = grace.seconds
        var released: [String] = []
        for (tenant, head) in heads.all {
            for block in head.blocks {
                guard let directory = block.localDirectory, let at = BlockShipper.shippedAt(directory),
                    now.timeIntervalSince(at) >= graceSeconds
                else { continue }
                do {
                    let remote = try await block.relocated(to: BucketBlockFiles(store: shipper.store, tenant: tenant, ulid: block.ulid, cache: cache))
                    head.replace([block.ulid], with: [remote])
                    try FileManager.default.removeItem(atPath: directory)
                    released.append(block.ulid)
                } catch {
                    logger?.warning(
                        "shipped block kept local: its bucket copy cannot be read",
                        metadata: [
                            "tenant": "\(tenant)", "block": "\(block.ulid)", "error": "\(error)",
                        ])
                }
            }
        }
        if !released.isEmpty, let blockDirectory {
            for (tenant, _) in heads.all { try? FileIO.syncDirectory(Self.tenantDirectory(blockDirectory, tenant)) }
        }
        return released
    }

    /// Takes this ingester's lease on its id in the bucket at start
    /// (`IngesterLease.acquire`: may wait up to its timeout for a silent
    /// holder). Nothing to do without a bucket.
    /// - Throws: `IngesterLease.Conflict` when another live process holds
    ///   it; `ObjectStoreError` when the bucket fails.
    public func acquireLease(logger: Logger? = nil) async throws {
        try await lease?.acquire(logger: logger)
    }

    /// Gives this ingester's lease up at a drained shutdown
    /// (`IngesterLease.release`), after the last cut, upload and compaction.
    /// - Returns: whether a lease of this data directory was freed.
    @discardableResult
    public func releaseLease() async throws -> Bool {
        try await lease?.release() ?? false
    }

    /// Renews this ingester's lease (`IngesterLease.renew`); `syncBucket`
    /// and `compact` do so first. Nothing to do without a bucket.
    /// - Throws: `IngesterLease.Conflict` when another data directory holds
    ///   it: the caller must stop touching the bucket's blocks.
    public func renewLease() async throws {
        try await lease?.renew()
    }

    /// Whether queries see every block: true without a bucket, or once
    /// `syncBucket` has listed it. Until then an answer could silently miss
    /// blocks that live only in the bucket, so the query API refuses to answer.
    public var bucketListed: Bool { shipper == nil || bucketSynced.withLock { $0 } }

    /// Opens the bucket's blocks this ingester owns (`id`) that are not on
    /// local disk (released after shipping, before a restart) into their
    /// tenants' data; other ingesters' blocks are left to them. Runs until it
    /// succeeds once per process: at start, then on each maintenance pass.
    /// Costs one GET of `meta.json` per block not on local disk.
    ///
    /// An owned block another owned block lists as a source is deleted (a
    /// compaction that stopped between shipping its block and deleting its
    /// sources); a block that does not decode is skipped, counted and
    /// logged, as at start-up.
    /// - Throws: `ObjectStoreError` when the bucket cannot be listed or read;
    ///   `IngesterLease.Conflict` (listing nothing) while another process
    ///   holds this ingester's id.
    public func syncBucket(logger: Logger? = nil) async throws {
        guard let shipper, !bucketSynced.withLock({ $0 }) else { return }
        await cutGate.acquire()
        defer { cutGate.release() }
        try await renewLease()
        for (tenant, ulids) in try await shipper.listBlocks() {
            let head = heads.head(for: tenant)
            let known = Set(head.blocks.map(\.ulid))
            let opened = try await shipper.openBlocks(
                ulids.filter { !known.contains($0) }, tenant: tenant, cache: cache, keep: { $0.ingester == id }, logger: logger)
            let superseded = Set((head.blocks + opened).flatMap(\.meta.sources))
            for b in head.blocks + opened where superseded.contains(b.ulid) {
                try await shipper.delete(tenant: tenant, ulid: b.ulid, files: b.meta.files.map(\.name))
                if let directory = b.localDirectory { try? FileManager.default.removeItem(atPath: directory) }
                logger?.info("deleted a block already compacted into another", metadata: ["tenant": "\(tenant)", "block": "\(b.ulid)"])
            }
            head.replace(Array(superseded), with: opened.filter { !superseded.contains($0.ulid) })
        }
        bucketSynced.withLock { $0 = true }
    }

    /// Whether `block` is in the bucket: opened from it, or marked shipped.
    /// Without a bucket, no block is.
    public func isShipped(_ block: Block) -> Bool {
        guard shipper != nil else { return false }
        guard let directory = block.localDirectory else { return true }
        return BlockShipper.shippedAt(directory) != nil
    }

    /// `blocks` with every one that is not local downloaded into
    /// `<ULID>.download` under `directory` and opened from there (the
    /// compactor reads its sources synchronously, whole). The caller deletes
    /// the returned download directories.
    func localCopies(_ blocks: [Block], in directory: String) async throws -> (blocks: [Block], downloads: [String]) {
        var out: [Block] = []
        var downloads: [String] = []
        for b in blocks {
            guard b.localDirectory == nil, let shipper else {
                out.append(b)
                continue
            }
            let path = directory + "/" + b.ulid + Self.downloadSuffix
            try? FileManager.default.removeItem(atPath: path)
            downloads.append(path)
            try await shipper.download(b.meta, to: path)
            out.append(try await Block(path: path))
        }
        return (out, downloads)
    }

    /// Suffix of a block directory being downloaded for compaction; start-up removes leftovers.
    static let downloadSuffix = ".download"
}
