import KilnFormat

/// The heads of all tenants, created on first write. Every push looks its
/// head up here, so the registry uses the same cheap-to-contend lock as the
/// heads (`LockedState`).
public final class TenantHeads: Sendable {
    private let heads = LockedState([String: Head]())

    public init() {}

    /// The head of `tenant`, created when new.
    public func head(for tenant: String) -> Head {
        heads.withLock { h in
            if let head = h[tenant] { return head }
            let head = Head()
            h[tenant] = head
            return head
        }
    }

    /// Every tenant's head, by tenant name.
    public var all: [(tenant: String, head: Head)] {
        heads.withLock { h in h.keys.sorted().map { ($0, h[$0]!) } }
    }

    /// The head of `tenant`, or nil when it has never been written to.
    public func existingHead(for tenant: String) -> Head? {
        heads.withLock { $0[tenant] }
    }
}

extension TenantHeads {
    /// Empties every head, then runs `body` while still holding this
    /// registry's lock (no new tenant can appear) and every head's lock (taken
    /// in tenant order): no push can land between the reset and what `body`
    /// does (the WAL checkpoint), so each tenant's records fall wholly before or
    /// wholly after it. `body` gets the cumulative baselines' snapshots taken
    /// at `snapshotNanos` (none when nil).
    public func resetAll<R: Sendable>(snapshotNanos: Int64? = nil, _ body: ([CumulativeRecord]) throws -> R) rethrows -> R {
        try heads.withLock { h in
            try Head.resetAll(h.keys.sorted().map { ($0, h[$0]!) }[...], snapshotNanos: snapshotNanos, body)
        }
    }
}

extension TenantHeads {
    /// Freezes every non-empty head (see `Head.freezeAll`) while holding this
    /// registry's lock and every head's lock, then runs `body` with what was
    /// frozen and the baselines' snapshots, still under all of them.
    public func freezeAll<R: Sendable>(now: UInt64, _ body: ([(tenant: String, head: Head, ulid: ULID)], [CumulativeRecord]) throws -> R) rethrows
        -> R
    {
        try heads.withLock { h in
            try Head.freezeAll(h.keys.sorted().map { ($0, h[$0]!) }[...], now: now, body)
        }
    }
}
