/// What one query may spend: a deadline and a number of samples to merge.
/// Checked before any page is read (the sample count is known from the
/// index) and between pages and units of work, so a query over budget stops
/// within one page's work and never takes the daemon's memory or cores for long.
public struct QueryBudget: Sendable {
    /// When the query must have answered; nil: no deadline.
    public var deadline: ContinuousClock.Instant?
    /// The deadline as the client or the server set it, for the error.
    public var timeout: Duration?
    /// Most samples a flame graph or profile merge may read; nil: no limit.
    public var maxSamples: Int?
    /// Set when the client went away.
    public var cancellation: QueryCancellation?

    public init(timeout: Duration? = nil, maxSamples: Int? = nil, cancellation: QueryCancellation? = nil) {
        self.timeout = timeout
        self.deadline = timeout.map { .now + $0 }
        self.maxSamples = maxSamples
        self.cancellation = cancellation
    }

    /// Throws `CancellationError` when the client went away or the task was
    /// cancelled, `QueryError.deadlineExceeded` once the deadline has passed.
    public func check() throws {
        try Task.checkCancellation()
        if cancellation?.isCancelled == true { throw CancellationError() }
        if let deadline, ContinuousClock.now >= deadline { throw QueryError.deadlineExceeded(timeout ?? .zero) }
    }
}

/// A query stopped by its budget.
public enum QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    case deadlineExceeded(Duration)
    case tooLarge(samples: Int, limit: Int)

    public var description: String {
        switch self {
        case .deadlineExceeded(let d):
            "the query did not finish within its deadline of \(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) ms"
        case .tooLarge(let samples, let limit):
            "the query would merge \(samples) samples, more than the limit of \(limit) (--query.max-samples): narrow the time range or the selector"
        }
    }
}
