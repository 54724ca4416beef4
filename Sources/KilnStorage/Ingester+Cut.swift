import Foundation
import KilnFormat
import Logging
import Metrics

extension Ingester {
    /// Blocks skipped because they do not open or a page does not decode
    /// (at start-up here; at query time by the query layer).
    public static let blockCorruptions = Counter(label: "kiln_block_corruptions_total")

    /// Cuts every non-empty head into a block and returns the blocks written.
    ///
    /// 1. Under every head's lock: each live head becomes a frozen head named
    ///    by a new ULID (still queryable), and a checkpoint record naming
    ///    `<tenant>/<ULID>` for each is queued; pushes after it go to fresh heads.
    /// 2. Once the checkpoint is durable, each frozen head is written as its
    ///    block (files fsynced, `meta.json` last, directory renamed into place)
    ///    and replaces the frozen head.
    /// 3. Segments before the checkpoint's are deleted.
    ///
    /// A crash after 1 and before 3 is redone by replay (see `replayLog`), so
    /// nothing is lost or stored twice. Cuts run one at a time; a block that
    /// failed to write is retried first by the next cut, which writes no new
    /// checkpoint until it succeeds.
    ///
    /// - Parameter failAfter: fault injection for tests: stop with an error
    ///   right after this step, leaving the files as a crash there would.
    @discardableResult
    public func cut(now: Date = Date(), failAfter: CutStep? = nil) async throws -> [BlockMeta] {
        guard let blockDirectory else { throw StorageError("cut", path: "", reason: "no block directory configured") }
        await cutGate.acquire()
        defer { cutGate.release() }
        var metas = try await publishFrozen(blockDirectory, failAfter: failAfter)
        let nanos = now.unixNanoseconds
        let (frozen, lsn) = try heads.freezeAll(now: UInt64(max(nanos, 0) / 1_000_000)) { frozen, snapshots in
            guard !frozen.isEmpty, let wal else { return (frozen, UInt64?.none) }
            let ids = frozen.map { "\($0.tenant)/\($0.ulid)" }
            return (frozen, try Self.enqueueCheckpoint(CheckpointRecord(timeNanos: nanos, blockIDs: ids), snapshots: snapshots, wal: wal))
        }
        if let lsn, let wal { try await wal.waitDurable(lsn) }
        guard !frozen.isEmpty else { return metas }
        if failAfter == .checkpointDurable { throw CutStep.injected(.checkpointDurable) }
        metas += try await publishFrozen(blockDirectory, failAfter: failAfter)
        if failAfter == .blocksPublished { throw CutStep.injected(.blocksPublished) }
        if let walDirectory { try Self.deleteSegmentsBeforeLastCheckpoint(walDirectory) }
        Self.cuts.increment(by: frozen.count)
        recordGauges()
        return metas
    }

    /// The steps of a cut, for fault injection.
    public enum CutStep: Sendable, Equatable, CaseIterable {
        /// The checkpoint is durable; no block is written.
        case checkpointDurable
        /// A block's files are written and synced but its directory is not yet renamed into place.
        case blockFilesWritten
        /// Every block is in place; the WAL segments before the checkpoint are not yet deleted.
        case blocksPublished

        static func injected(_ step: CutStep) -> StorageError {
            StorageError("cut", path: "", reason: "injected fault after \(step)")
        }
    }

    /// Writes the block of every frozen head and publishes it.
    private func publishFrozen(_ blockDirectory: String, failAfter: CutStep?) async throws -> [BlockMeta] {
        var metas: [BlockMeta] = []
        for (tenant, head) in heads.all {
            for f in head.frozenHeads {
                let dir = Self.tenantDirectory(blockDirectory, tenant)
                try FileIO.makeDirectory(dir)
                let meta = try BlockWriter.write(f.state, tenant: tenant, ulid: f.ulid, directory: dir, codec: .lz4, ingester: id)
                if failAfter == .blockFilesWritten {
                    // As if the process died just before the rename.
                    try FileManager.default.moveItem(atPath: dir + "/" + f.ulid.string, toPath: dir + "/" + f.ulid.string + ".tmp")
                    throw CutStep.injected(.blockFilesWritten)
                }
                head.publish(try await Block(path: dir + "/" + f.ulid.string), replacing: f.ulid)
                metas.append(meta)
            }
        }
        return metas
    }

    static func tenantDirectory(_ blockDirectory: String, _ tenant: String) -> String { blockDirectory + "/" + tenant }

    /// Whether the block named `id` (`<tenant>/<ULID>`, as checkpoints name them) is complete on disk.
    static func blockExists(_ blockDirectory: String, _ id: String) -> Bool {
        FileManager.default.fileExists(atPath: blockDirectory + "/" + id + "/" + BlockSchema.metaFile)
    }

    /// At a checkpoint during replay: writes each block it names that is not
    /// on disk, from that tenant's head as replayed so far.
    static func writeMissingBlocks(_ c: CheckpointRecord, from heads: TenantHeads, blockDirectory: String, id: String?, logger: Logger?) throws {
        for name in c.blockIDs where !blockExists(blockDirectory, name) {
            guard let slash = name.lastIndex(of: "/"), let ulid = ULID(String(name[name.index(after: slash)...])) else {
                throw StorageError("replay", path: blockDirectory, reason: "checkpoint names a malformed block \"\(name)\"")
            }
            let tenant = String(name[..<slash])
            guard let state = heads.existingHead(for: tenant)?.read({ $0 }), state.profileCount > 0 else { continue }
            let dir = tenantDirectory(blockDirectory, tenant)
            try FileIO.makeDirectory(dir)
            _ = try BlockWriter.write(state, tenant: tenant, ulid: ulid, directory: dir, codec: .lz4, ingester: id)
            logger?.warning("WAL: rebuilt a block the last cut did not finish", metadata: ["block": "\(name)"])
        }
    }

    static func deleteSegmentsBeforeLastCheckpoint(_ directory: String) throws {
        let segments = try WALSegments.list(directory)
        guard let first = try WALScanner.startSegment(directory, segments: segments) else { return }
        for n in segments where n < first { try FileIO.remove(WALSegments.path(directory, n)) }
        try FileIO.syncDirectory(directory)
    }

    /// Opens every block under `blockDirectory` into its tenant's data.
    /// Leftover `.tmp` and `.download` directories (a crash mid-write) are removed; a block
    /// that does not open is skipped with a warning and
    /// `kiln_block_corruptions_total`, and left on disk for inspection.
    /// Their owners were checked before replay (`IngesterIdentity.claim`).
    static func openBlocks(_ blockDirectory: String, into heads: TenantHeads, logger: Logger) async throws {
        for tenant in try FileIO.list(blockDirectory).sorted() {
            let dir = tenantDirectory(blockDirectory, tenant)
            var blocks: [Block] = []
            for name in try FileIO.list(dir).sorted() {
                let path = dir + "/" + name
                if name.hasSuffix(".tmp") || name.hasSuffix(downloadSuffix) {
                    try FileManager.default.removeItem(atPath: path)
                    continue
                }
                guard ULID(name) != nil else { continue }
                do {
                    blocks.append(try await Block(path: path))
                } catch {
                    blockCorruptions.increment()
                    logger.warning("block skipped: it does not open", metadata: ["block": "\(path)", "error": "\(error)"])
                }
            }
            // A compaction that crashed after its block was in place but before
            // its sources were deleted: the merged block supersedes them.
            let superseded = Set(blocks.flatMap(\.meta.sources))
            for b in blocks where superseded.contains(b.ulid) {
                try FileManager.default.removeItem(atPath: b.path)
                logger.info("deleted a block already compacted into another", metadata: ["block": "\(b.path)"])
            }
            blocks.removeAll { superseded.contains($0.ulid) }
            if !blocks.isEmpty { heads.head(for: tenant).attach(blocks) }
        }
    }
}

/// Lets one cut run at a time; later callers wait their turn.
final class CutGate: Sendable {
    private let state = LockedState((busy: false, waiters: [CheckedContinuation<Void, Never>]()))

    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let run = state.withLock { s -> Bool in
                if s.busy {
                    s.waiters.append(c)
                    return false
                }
                s.busy = true
                return true
            }
            if run { c.resume() }
        }
    }

    /// Hands the gate to the next waiter (it stays busy) or frees it.
    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.busy = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}

extension Ingester {
    /// When to cut: a live head older than `maxAge` (since its first
    /// profile) or estimated larger than `maxBytes`.
    public struct CutPolicy: Sendable {
        public var maxAge: Duration
        public var maxBytes: Int

        public init(maxAge: Duration, maxBytes: Int) {
            self.maxAge = maxAge
            self.maxBytes = maxBytes
        }

        public func isDue(age: Duration, bytes: Int) -> Bool { age >= maxAge || bytes >= maxBytes }
    }

    /// Cuts when any tenant's live head is due by `policy`.
    @discardableResult
    public func cutIfDue(_ policy: CutPolicy) async throws -> [BlockMeta] {
        let due = heads.all.contains { _, head in
            let u = head.liveUsage
            return policy.isDue(age: u.age, bytes: u.bytes)
        }
        return due ? try await cut() : []
    }
}
