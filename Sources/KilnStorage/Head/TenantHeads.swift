import Synchronization

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
