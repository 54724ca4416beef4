import Foundation
import KilnFormat
import KilnIngest
import Logging
import Metrics

/// The ingester: the tenants' heads and the WAL that makes them durable.
///
/// `push` appends to the tenant's head and queues the record of the change
/// inside the head's lock, then waits — outside any lock — until the record is
/// durable; only then may the push be acknowledged. On open, the WAL is
/// replayed into empty heads first, so the heads are exactly what the log says.
public final class Ingester: Sendable {
    public let heads: TenantHeads
    let wal: WriteAheadLog?
    let walDirectory: String?
    /// Where blocks are written: `<blockDirectory>/<tenant>/<ULID>/`; nil: no cuts.
    public let blockDirectory: String?
    /// Where blocks are shipped, when an object store is configured.
    public let shipper: BlockShipper?
    /// Whose data directory this is (nil without a WAL): the `--ingester.id`
    /// and the token of the bucket's lease.
    public let identity: IngesterIdentity?
    /// Held while this ingester lists the bucket and compacts; nil without a bucket.
    let lease: IngesterLease?

    /// `--ingester.id`: the owner written into this ingester's blocks. It
    /// adopts, compacts and deletes only the blocks it owns, so ingesters
    /// sharing a bucket never merge one another's data twice; nil is the
    /// one ingester of a bucket allowed no id (and the owner of blocks
    /// written before blocks had owners).
    public var id: String? { identity?.id }
    /// Caches what is read of blocks in the bucket; nil reads straight from it.
    public let cache: ObjectCache?
    /// Whether the blocks in the bucket have been listed into the heads since start.
    let bucketSynced = LockedState(false)
    let cutGate = CutGate()
    public let replay: ReplayStats?

    /// What opening the WAL found and did.
    public struct ReplayStats: Sendable {
        public var segments = 0
        public var records = 0
        public var samples = 0
        public var bytes = 0
        public var seconds = 0.0
        /// The torn tail found (and, on start-up, truncated).
        public var truncatedTail: WALScanner.TornTail?
        /// The segment the writer continues with.
        public var nextSegment = 1
    }

    /// An ingester with no WAL (tests and benchmarks of the head alone).
    public init(heads: TenantHeads = TenantHeads()) {
        self.heads = heads
        self.wal = nil
        self.walDirectory = nil
        self.blockDirectory = nil
        self.shipper = nil
        self.identity = nil
        self.lease = nil
        self.cache = nil
        self.replay = nil
    }

    /// Opens (creating it when new) the WAL under `directory`, locks it,
    /// replays it into fresh heads, and starts the writer.
    /// - Throws: `WALError` for corruption (naming segment and offset) or I/O
    ///   failures, `StorageError` when another process holds the directory.
    /// - Parameter blockDirectory: where cuts write blocks and where the blocks
    ///   found at start are opened from; nil disables cuts (the WAL's
    ///   checkpoints are then taken as persisted).
    /// - Parameter objectStore: where blocks are shipped (see `shipPending`)
    ///   and read back from; nil keeps them local only.
    /// - Parameter cache: the local cache of what is read from `objectStore`.
    /// - Parameter id: the owner of the blocks this ingester writes (see `id`).
    /// - Parameter leaseTimeout: how long the bucket's lease on `id` holds
    ///   unrenewed (`IngesterLease.timeout(checkInterval:)`).
    /// - Throws: also `StorageError` when the data directory or a local
    ///   block has another owner (`--ingester.id` changed while the data
    ///   directory was kept), before anything is replayed.
    public init(
        walDirectory directory: String, blockDirectory: String? = nil, objectStore: (any ObjectStore)? = nil,
        cache: ObjectCache? = nil, id: String? = nil, leaseTimeout: Duration = IngesterLease.minimumTimeout,
        options: WriteAheadLog.Options = .init(), logger: Logger
    ) async throws {
        try FileIO.makeDirectory(directory)
        let lock = try DirectoryLock(directory: directory)
        let heads = TenantHeads()
        if let blockDirectory { try FileIO.makeDirectory(blockDirectory) }
        let identity = try IngesterIdentity.claim(walDirectory: directory, blockDirectory: blockDirectory, id: id)
        let stats = try Self.replay(directory, into: heads, blockDirectory: blockDirectory, id: id, logger: logger)
        if let blockDirectory { try await Self.openBlocks(blockDirectory, into: heads, logger: logger) }
        self.heads = heads
        self.replay = stats
        self.walDirectory = directory
        self.blockDirectory = blockDirectory
        self.identity = identity
        self.lease = objectStore.map { IngesterLease(store: $0, identity: identity, timeout: leaseTimeout) }
        self.shipper = objectStore.map { BlockShipper(store: $0) }
        self.cache = cache
        self.wal = WriteAheadLog(directory: directory, firstSegment: stats.nextSegment, lock: lock, options: options)
    }

    /// Appends a push to the tenant's head and returns once it is durable.
    /// - Parameter maxSeries: the tenant's limit on series in the live head (0: none).
    /// - Throws: `SeriesLimitError` (nothing stored) when the push would pass
    ///   `maxSeries`; `StorageError` when the WAL has failed (nothing is
    ///   acknowledged after that).
    public func push(_ profiles: [IngestProfile], tenant: String, maxSeries: Int = 0) async throws {
        let head = heads.head(for: tenant)
        guard let wal else {
            if maxSeries > 0 {
                try head.append(profiles, tenant: tenant, maxSeries: maxSeries) { _ in () }
            } else {
                head.append(profiles)
            }
            return
        }
        let lsn = try head.append(profiles, tenant: tenant, maxSeries: maxSeries) { record in try wal.enqueue(record) }
        try await wal.waitDurable(lsn)
    }

    /// Writes a checkpoint naming `blockIDs` and empties every head, without
    /// writing any block; returns once it is durable, after deleting the
    /// segments before it. For tests of the WAL alone (no block directory);
    /// the daemon cuts with `cut()`, which writes the blocks.
    public func checkpoint(blockIDs: [String], timeNanos: Int64) async throws {
        guard let wal else {
            heads.resetAll { _ in }
            return
        }
        let lsn = try heads.resetAll(snapshotNanos: timeNanos) { snapshots in
            try Self.enqueueCheckpoint(CheckpointRecord(timeNanos: timeNanos, blockIDs: blockIDs), snapshots: snapshots, wal: wal)
        }
        try await wal.waitDurable(lsn)
        if let walDirectory { try Self.deleteSegmentsBeforeLastCheckpoint(walDirectory) }
    }

    /// Queues a checkpoint and, right after it, the cumulative baselines'
    /// snapshots (the segments before the checkpoint, holding their history,
    /// are deleted once it is durable); returns the last LSN.
    static func enqueueCheckpoint(_ checkpoint: CheckpointRecord, snapshots: [CumulativeRecord], wal: WriteAheadLog) throws -> UInt64 {
        var lsn = try wal.enqueue(.checkpoint(checkpoint))
        for s in snapshots { lsn = try wal.enqueue(.cumulative(s)) }
        return lsn
    }

    public var walStats: WriteAheadLog.Stats? { wal?.currentStats }

    /// Flushes and stops the WAL writer.
    public func close() { wal?.close() }

    // MARK: - Replay

    static let truncatedTails = Counter(label: "kiln_wal_truncated_tails_total")

    /// Replays the log under `directory` into `heads` from its last
    /// checkpoint, changing no file: the shared core of start-up, `kiln-inspect
    /// wal verify` and `WALRepair`. A torn tail ends the replay and is reported
    /// in the stats; corruption throws `WALError`.
    ///
    /// With a `blockDirectory`, a last cut whose blocks are not all there (a
    /// crash between its checkpoint and its blocks) is redone: replay starts at
    /// the cut before it, and at the checkpoint the missing blocks are written
    /// from the heads as they stand there, under the names the checkpoint gave them.
    /// - Parameter id: the owner of the blocks rebuilt (the ingester's `id`).
    public static func replayLog(
        _ directory: String, into heads: TenantHeads, blockDirectory: String? = nil, id: String? = nil,
        logger: Logger? = nil
    ) throws -> ReplayStats {
        let start = Date()
        var stats = ReplayStats()
        var lastSegment = 0
        // Replay starts at the last checkpoint, or the one before it when the
        // last cut's blocks are missing (found once here, not again by the scan).
        let segments = try WALSegments.list(directory)
        let cuts = try WALScanner.checkpointSegments(directory, segments: segments, limit: 2)
        var from = cuts.first?.segment ?? segments.first
        if let blockDirectory {
            if let last = cuts.first, !last.record.blockIDs.allSatisfy({ blockExists(blockDirectory, $0) }) {
                from = cuts.dropFirst().first?.segment ?? segments.first
                // Released to the bucket (then nothing is rebuilt: the segments before
                // the checkpoint are gone) or lost in a crash (`writeMissingBlocks` warns).
                logger?.debug(
                    "WAL: blocks of the last cut are not on local disk; replaying from the cut before",
                    metadata: [
                        "blocks": "\(last.record.blockIDs)", "from_segment": "\(from ?? 0)",
                    ])
            }
        }
        stats.truncatedTail = try WALScanner.scan(directory, from: from) { found in
            if found.segment != lastSegment {
                stats.segments += 1
                lastSegment = found.segment
                stats.bytes += found.bytes.count
            }
            switch try found.decode() {
            case .ingest(let r):
                try heads.head(for: r.tenant).apply(r)
                stats.records += 1
                stats.samples += r.sampleCount
            case .checkpoint(let c):
                if let blockDirectory { try writeMissingBlocks(c, from: heads, blockDirectory: blockDirectory, id: id, logger: logger) }
                heads.resetAll { _ in }
                stats.records += 1
            case .cumulative(let c):
                heads.head(for: c.tenant).apply(c)
                stats.records += 1
            }
        }
        stats.nextSegment = (try WALSegments.list(directory).last ?? 0) + 1
        stats.seconds = Date().timeIntervalSince(start)
        return stats
    }

    /// Replays the log and cuts off a torn tail (a crash mid-append: that
    /// record was never acknowledged), with a warning and a metric.
    static func replay(_ directory: String, into heads: TenantHeads, blockDirectory: String?, id: String?, logger: Logger) throws -> ReplayStats {
        let start = Date()
        var stats = try replayLog(directory, into: heads, blockDirectory: blockDirectory, id: id, logger: logger)
        // Segments before the last checkpoint are persisted in blocks (rebuilt
        // above if they were missing); a crash between the cut's blocks and
        // deleting the segments leaves them behind.
        try deleteSegmentsBeforeLastCheckpoint(directory)
        if let torn = stats.truncatedTail {
            if torn.offset <= WALFrame.segmentHeaderSize {
                try FileIO.remove(torn.path)
            } else {
                try FileIO.truncate(torn.path, to: torn.offset)
            }
            try FileIO.syncDirectory(directory)
            truncatedTails.increment()
            logger.warning(
                "WAL: truncated a torn tail",
                metadata: [
                    "segment": "\(torn.path)", "offset": "\(torn.offset)", "reason": "\(torn.reason)",
                ])
        }
        stats.seconds = Date().timeIntervalSince(start)
        return stats
    }
}
