import Foundation
import KilnFormat
import KilnModel
import Logging

extension Ingester {
    /// Compaction and retention settings.
    public struct CompactionPolicy: Sendable {
        public var planner: CompactionPlanner
        /// Blocks whose newest profile is older than this are deleted; nil keeps everything.
        public var retention: Duration?

        public init(planner: CompactionPlanner = CompactionPlanner(), retention: Duration? = nil) {
            self.planner = planner
            self.retention = retention
        }
    }

    /// Applies retention, then merges blocks as the planner says until it has
    /// nothing left, for every tenant; returns the blocks written. The heads
    /// hold only this ingester's own blocks (`syncBucket` adopts no other
    /// ingester's), so it expires and merges only those.
    ///
    /// A merged block is durable (renamed into place) before it replaces its
    /// sources for queries, and the sources' directories are deleted after
    /// that; a crash in between leaves both, and start-up deletes any block
    /// another lists as a source. Runs under the cut gate: one maintenance
    /// task at a time. With a bucket, the ingester's lease is renewed first
    /// (every pass: the lease's heartbeat) and again before each merged block
    /// is published (`IngesterLease`): once another process holds its id,
    /// this throws `IngesterLease.Conflict` and touches nothing more.
    @discardableResult
    public func compact(_ policy: CompactionPolicy, now: Date = Date(), logger: Logger? = nil) async throws -> [BlockMeta] {
        guard let blockDirectory else { return [] }
        await cutGate.acquire()
        defer { cutGate.release() }
        try await renewLease()
        var written: [BlockMeta] = []
        for (tenant, head) in heads.all {
            let dir = Self.tenantDirectory(blockDirectory, tenant)
            if let retention = policy.retention {
                let nanos = now.unixNanoseconds
                let limit = retention.nanoseconds
                let expired = CompactionPlanner.expired(head.blocks.map(\.meta), nowNanos: nanos, retention: limit)
                if !expired.isEmpty {
                    head.replace(expired.map(\.ulid), with: [])
                    for m in expired {
                        try await shipper?.delete(tenant: tenant, ulid: m.ulid, files: m.files.map(\.name))
                        if FileManager.default.fileExists(atPath: dir + "/" + m.ulid) {
                            try FileManager.default.removeItem(atPath: dir + "/" + m.ulid)
                        }
                    }
                    try FileIO.syncDirectory(dir)
                    Self.retentionDeletions.increment(by: expired.count)
                    logger?.info("retention deleted blocks", metadata: ["tenant": "\(tenant)", "blocks": "\(expired.map(\.ulid))"])
                }
            }
            while let group = policy.planner.plan(head.blocks.map(\.meta)) {
                let sources = head.blocks.filter { b in group.contains { $0.ulid == b.ulid } }
                let ulid = ULID.make(milliseconds: UInt64(now.unixMilliseconds))
                let started = ContinuousClock.now
                try FileIO.makeDirectory(dir)
                let (local, downloads) = try await localCopies(sources, in: dir)
                defer { for d in downloads { try? FileManager.default.removeItem(atPath: d) } }
                let meta = try BlockCompactor.compact(local, tenant: tenant, ulid: ulid, directory: dir, ingester: id)
                let merged: Block
                do {
                    merged = try await Block(path: dir + "/" + meta.ulid)
                    // Still this id's only process after a long merge?
                    try await renewLease()
                    // In the bucket, the merged block is complete before its sources go.
                    try await shipper?.ship(meta, from: dir + "/" + meta.ulid)
                } catch {
                    // Not published: a merged block left behind (here or, half shipped, in the
                    // bucket) would count its sources' data twice once the next pass merges them again.
                    try? await shipper?.delete(tenant: tenant, ulid: meta.ulid, files: meta.files.map(\.name))
                    try? FileManager.default.removeItem(atPath: dir + "/" + meta.ulid)
                    throw error
                }
                head.replace(sources.map(\.ulid), with: [merged])
                for b in sources {
                    try await shipper?.delete(tenant: tenant, ulid: b.ulid, files: b.meta.files.map(\.name))
                    if let directory = b.localDirectory { try FileManager.default.removeItem(atPath: directory) }
                }
                try FileIO.syncDirectory(dir)
                written.append(meta)
                Self.compactions.increment()
                Self.compactedBlocks.increment(by: sources.count)
                let elapsed = ContinuousClock.now - started
                Self.compactionDuration.recordNanoseconds(elapsed.nanoseconds)
                logger?.info(
                    "compacted blocks",
                    metadata: [
                        "tenant": "\(tenant)", "block": "\(meta.ulid)", "level": "\(meta.level)", "sources": "\(meta.sources)",
                        "profiles": "\(meta.stats.profiles)", "samples": "\(meta.stats.samples)",
                    ])
            }
        }
        return written
    }
}
