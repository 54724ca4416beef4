import KilnIngest
import Synchronization

/// A tenant's head behind a lock: appends and reads are serialised.
///
/// Reads run their closure while holding the lock, so a query sees one
/// consistent state and must not call back into the head.
public final class Head: Sendable {
    private let state = Mutex(HeadState())

    public init() {}

    public func append(_ profiles: [IngestProfile]) {
        state.withLock { s in
            for p in profiles { s.append(p) }
        }
    }

    public func read<R: Sendable>(_ body: (borrowing HeadState) throws -> R) rethrows -> R {
        try state.withLock { s in try body(s) }
    }
}

/// The heads of all tenants, created on first write.
public final class TenantHeads: Sendable {
    private let heads = Mutex([String: Head]())

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

    /// The head of `tenant`, or nil when it has never been written to.
    public func existingHead(for tenant: String) -> Head? {
        heads.withLock { $0[tenant] }
    }
}
