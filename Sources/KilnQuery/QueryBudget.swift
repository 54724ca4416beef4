import KilnModel

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
    /// Longest time range a query that reads samples may cover
    /// (`max_query_length`); nil: any.
    public var maxRangeNanos: Int64?

    public init(timeout: Duration? = nil, maxSamples: Int? = nil, cancellation: QueryCancellation? = nil, maxRangeNanos: Int64? = nil) {
        self.timeout = timeout
        self.deadline = timeout.map { .now + $0 }
        self.maxSamples = maxSamples
        self.cancellation = cancellation
        self.maxRangeNanos = maxRangeNanos
    }

    /// Throws `QueryError.rangeTooLong` when `range` is longer than
    /// `maxRangeNanos` (an open end counts as unbounded).
    public func checkRange(_ range: TimeRange) throws(QueryError) {
        guard let limit = maxRangeNanos, limit > 0, !range.isEmpty else { return }
        let (length, overflow) = range.endNanos.subtractingReportingOverflow(range.startNanos)
        if overflow || length > limit { throw QueryError.rangeTooLong(nanos: overflow ? .max : length, limit: limit) }
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
    case rangeTooLong(nanos: Int64, limit: Int64)
    /// An ingester holds shipped blocks this querier cannot list in the bucket.
    case behindIngesters(blocks: [String])

    public var description: String {
        switch self {
        case .deadlineExceeded(let d):
            "the query did not finish within its deadline of \(d.milliseconds) ms"
        case .rangeTooLong(let nanos, let limit):
            "the query time range (\(nanos == .max ? "unbounded" : Self.duration(nanos))) exceeds the limit max_query_length (\(Self.duration(limit))): narrow the time range"
        case .behindIngesters(let blocks):
            "the ingesters hold blocks \(blocks.prefix(5).joined(separator: ", ")) that the bucket's listing does not show (or that do not open); try again later"
        case .tooLarge(let samples, let limit):
            "the query would merge \(samples) samples, more than the limit of \(limit) (--query.max-samples): narrow the time range or the selector"
        }
    }

    /// "90s", "2h", "30d", "1h30m": the largest whole units.
    static func duration(_ nanos: Int64) -> String {
        var s = nanos / 1_000_000_000
        var out = ""
        for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where s >= size {
            out += "\(s / size)\(unit)"
            s %= size
        }
        return s > 0 || out.isEmpty ? out + "\(s)s" : out
    }
}
