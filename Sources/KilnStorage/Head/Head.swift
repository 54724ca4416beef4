import KilnFormat
import KilnHead
import KilnIngest

/// One tenant's data behind a lock: the live head, heads frozen by a cut
/// whose blocks are being written, and the tenant's blocks.
///
/// Appends and reads of the live head are serialised. An append runs its
/// `log` closure inside the same critical section, so the WAL receives one
/// tenant's records in exactly the order the head applied them — the order
/// replay must follow to reproduce the same ids.
///
/// A cut moves the live head to `frozen` and a finished block replaces its
/// frozen head, each under the lock, so a query's snapshot (taken under the
/// lock) sees every profile exactly once: in the head, a frozen head or a block.
public final class Head: Sendable {
    /// A head moved out by a cut, queryable until its block `ulid` is published.
    public struct Frozen: Sendable {
        public let ulid: ULID
        public let state: HeadState
    }

    struct Contents: Sendable {
        var live = HeadState()
        /// When the live head received its first profile (wall clock): the age a cut by time looks at.
        var liveSince: ContinuousClock.Instant?
        var frozen: [Frozen] = []
        var blocks: [Block] = []
        /// Cumulative series' baselines; unlike the live head, they outlive cuts.
        var baselines = CumulativeBaselines()
    }

    private let state = LockedState(Contents())

    public init() {}

    /// Appends one push without logging it (cumulative profiles become deltas).
    public func append(_ profiles: [IngestProfile]) {
        state.withLock { s in
            if s.liveSince == nil { s.liveSince = .now }
            for var p in profiles {
                _ = s.baselines.toDeltas(&p)
                s.live.append(p)
            }
        }
    }

    /// Appends one push and hands the records of what changed to `log`
    /// before the lock is released: the ingest record, then, when the push
    /// moved a cumulative baseline, the cumulative record. Returns what the
    /// last call of `log` returned.
    /// - Parameter maxSeries: when positive, a push that would take the live
    ///   head past this many series is refused whole (`SeriesLimitError`).
    public func append<R: Sendable>(
        _ profiles: [IngestProfile], tenant: String, maxSeries: Int = 0,
        log: (WALRecord) throws -> R
    ) throws -> R {
        try state.withLock { s in
            if maxSeries > 0 {
                let added = s.live.newSeriesCount(profiles)
                if added > 0, s.live.series.count + added > maxSeries {
                    throw SeriesLimitError(tenant: tenant, limit: maxSeries, series: s.live.series.count, adding: added)
                }
            }
            if s.liveSince == nil { s.liveSince = .now }
            var profiles = profiles
            var changes: [CumulativeRecord.Series] = []
            for i in profiles.indices { changes += s.baselines.toDeltas(&profiles[i]) }
            let last = try log(.ingest(s.live.append(profiles, tenant: tenant)))
            guard !changes.isEmpty else { return last }
            return try log(.cumulative(CumulativeRecord(tenant: tenant, snapshot: false, series: changes)))
        }
    }

    /// Replays a logged push (see `HeadState.apply`).
    public func apply(_ record: IngestRecord) throws(ReplayMismatch) {
        try state.withLock { (s: inout Contents) throws(ReplayMismatch) in try s.live.apply(record) }
    }

    /// Replays a logged change of the cumulative baselines.
    public func apply(_ record: CumulativeRecord) {
        state.withLock { $0.baselines.apply(record) }
    }

    /// The cumulative baselines (tests, inspection).
    public var baselines: CumulativeBaselines { state.withLock { $0.baselines } }

    /// Reads the live head under the lock.
    public func read<R: Sendable>(_ body: (borrowing HeadState) throws -> R) rethrows -> R {
        try state.withLock { s in try body(s.live) }
    }

    /// Runs `body` on the live head under the lock and returns the frozen
    /// heads and blocks of the same instant, which are immutable and can be
    /// read after the lock is released.
    public func snapshot(_ body: (borrowing HeadState) throws -> Void) rethrows -> (frozen: [Frozen], blocks: [Block]) {
        try state.withLock { s in
            try body(s.live)
            return (s.frozen, s.blocks)
        }
    }

    public var blocks: [Block] { state.withLock { $0.blocks } }

    /// The live head's age (since its first profile) and estimated size.
    public var liveUsage: (age: Duration, bytes: Int) {
        state.withLock { s in (s.liveSince.map { .now - $0 } ?? .zero, s.live.estimatedBytes) }
    }
    public var frozenHeads: [Frozen] { state.withLock { $0.frozen } }

    // MARK: - Cuts

    /// Swaps each non-empty head of `heads` for an empty one, keeping each
    /// locked, then runs `body` with what was frozen and each tenant's
    /// cumulative baselines (stale ones dropped) while all are still locked:
    /// no push lands between a swap and `body` (the WAL checkpoint, then the
    /// baselines' snapshots), so each tenant's records fall wholly before or
    /// wholly after it.
    static func freezeAll<R: Sendable>(
        _ heads: ArraySlice<(tenant: String, head: Head)>, now: UInt64,
        frozen: [(tenant: String, head: Head, ulid: ULID)] = [],
        snapshots: [CumulativeRecord] = [],
        _ body: ([(tenant: String, head: Head, ulid: ULID)], [CumulativeRecord]) throws -> R
    ) rethrows -> R {
        guard let (tenant, head) = heads.first else { return try body(frozen, snapshots) }
        return try head.state.withLock { s in
            var frozen = frozen
            var snapshots = snapshots
            if let snapshot = s.baselines.snapshot(tenant: tenant, nowNanos: Int64(now) &* 1_000_000) { snapshots.append(snapshot) }
            if s.live.profileCount > 0 {
                let ulid = ULID.make(milliseconds: now)
                s.frozen.append(Frozen(ulid: ulid, state: s.live))
                s.live = HeadState()
                s.liveSince = nil
                frozen.append((tenant, head, ulid))
            } else if s.live.series.count > 0 {
                // Series without profiles are invisible; drop them with the cut.
                s.live = HeadState()
            }
            return try freezeAll(heads.dropFirst(), now: now, frozen: frozen, snapshots: snapshots, body)
        }
    }

    /// The frozen head of `ulid`.
    func frozen(_ ulid: ULID) -> HeadState? {
        state.withLock { s in s.frozen.first { $0.ulid == ulid }?.state }
    }

    /// Replaces the frozen head `ulid` by its now durable block.
    func publish(_ block: Block, replacing ulid: ULID) {
        state.withLock { s in
            s.frozen.removeAll { $0.ulid == ulid }
            s.blocks.append(block)
            s.blocks.sort { $0.ulid < $1.ulid }
        }
    }

    /// Replaces `removed` blocks by `added` (a compaction) or drops them (retention), atomically for queries.
    func replace(_ removed: [String], with added: [Block]) {
        state.withLock { s in
            s.blocks.removeAll { removed.contains($0.ulid) }
            s.blocks += added
            s.blocks.sort { $0.ulid < $1.ulid }
        }
    }

    /// Adds blocks found on disk at start-up.
    func attach(_ blocks: [Block]) {
        state.withLock { s in
            s.blocks += blocks
            s.blocks.sort { $0.ulid < $1.ulid }
        }
    }

    /// Empties `heads` one by one, keeping each locked, then runs `body`
    /// while all are still locked (replay of a checkpoint; test-driven
    /// checkpoints) with the baselines' snapshots taken at `snapshotNanos`
    /// (none when nil: replay, where the logged snapshots follow).
    static func resetAll<R: Sendable>(
        _ heads: ArraySlice<(tenant: String, head: Head)>, snapshotNanos: Int64?,
        snapshots: [CumulativeRecord] = [],
        _ body: ([CumulativeRecord]) throws -> R
    ) rethrows -> R {
        guard let (tenant, head) = heads.first else { return try body(snapshots) }
        return try head.state.withLock { s in
            s.live = HeadState()
            var snapshots = snapshots
            if let snapshotNanos, let snapshot = s.baselines.snapshot(tenant: tenant, nowNanos: snapshotNanos) { snapshots.append(snapshot) }
            return try resetAll(heads.dropFirst(), snapshotNanos: snapshotNanos, snapshots: snapshots, body)
        }
    }
}
