import KilnFormat
import KilnIngest

/// A tenant's head behind a lock: appends and reads are serialised.
///
/// Reads run their closure while holding the lock, so a query sees one
/// consistent state and must not call back into the head. An append runs its
/// `log` closure inside the same critical section, so the WAL receives one
/// tenant's records in exactly the order the head applied them — the order
/// replay must follow to reproduce the same ids.
public final class Head: Sendable {
    private let state = LockedState(HeadState())

    public init() {}

    /// Appends one push without logging it.
    public func append(_ profiles: [IngestProfile]) {
        state.withLock { s in
            for p in profiles { s.append(p) }
        }
    }

    /// Appends one push and hands the record of what changed to `log` before
    /// the lock is released.
    public func append<R: Sendable>(_ profiles: [IngestProfile], tenant: String,
                                    log: (IngestRecord) throws -> R) throws -> R {
        try state.withLock { s in
            let record = s.append(profiles, tenant: tenant)
            return try log(record)
        }
    }

    /// Replays a logged push (see `HeadState.apply`).
    public func apply(_ record: IngestRecord) throws(ReplayMismatch) {
        try state.withLock { (s: inout HeadState) throws(ReplayMismatch) in try s.apply(record) }
    }

    /// Empties `heads` one by one, keeping each locked, then runs `body`
    /// while all are still locked: nothing can be appended to any of them
    /// between its reset and `body`.
    static func resetAll<R: Sendable>(_ heads: ArraySlice<Head>, _ body: () throws -> R) rethrows -> R {
        guard let first = heads.first else { return try body() }
        return try first.state.withLock { s in
            s = HeadState()
            return try resetAll(heads.dropFirst(), body)
        }
    }

    public func read<R: Sendable>(_ body: (borrowing HeadState) throws -> R) rethrows -> R {
        try state.withLock { s in try body(s) }
    }
}
