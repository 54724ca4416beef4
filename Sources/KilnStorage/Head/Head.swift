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
