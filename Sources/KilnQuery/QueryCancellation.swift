import Synchronization

/// A flag another party sets to stop a query: the server sets it when the
/// client's connection closes. `QueryBudget.check` reads it between pages
/// and units of work.
public final class QueryCancellation: Sendable {
    private let cancelled = Atomic<Bool>(false)

    public init() {}

    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}
