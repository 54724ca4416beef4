import KilnHead
import KilnModel

/// One series of a `SelectSeries` answer: the group-by labels and sparse points.
public struct TimeSeries: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        /// Unix milliseconds: the right edge of the bucket.
        public var timestampMs: Int64
        public var value: Double
        public init(timestampMs: Int64, value: Double) {
            self.timestampMs = timestampMs
            self.value = value
        }
    }

    public var labels: LabelSet
    public var points: [Point]

    public init(labels: LabelSet, points: [Point]) {
        self.labels = labels
        self.points = points
    }
}

/// The parameters of a time-series query.
public struct TimeSeriesQuery: Sendable {
    public enum Aggregation: Sendable { case sum, average }

    public var profileType: ProfileTypeID
    public var selector: LabelSelector
    public var startMs: Int64
    public var endMs: Int64
    /// Bucket width in milliseconds (≥ 1).
    public var stepMs: Int64
    public var groupBy: [String]
    public var aggregation: Aggregation
    /// Keep only the top N series by total; nil or ≤ 0 keeps all.
    public var limit: Int?
    /// Count only the samples under this root-first call site (a function's
    /// own series, `stack_trace_selector.call_site`); empty counts all.
    public var callSite: CallSiteFilter = CallSiteFilter()

    public init(
        profileType: ProfileTypeID, selector: LabelSelector, startMs: Int64, endMs: Int64, stepMs: Int64,
        groupBy: [String] = [], aggregation: Aggregation = .sum, limit: Int? = nil
    ) {
        self.profileType = profileType
        self.selector = selector
        self.startMs = startMs
        self.endMs = endMs
        self.stepMs = stepMs
        self.groupBy = groupBy
        self.aggregation = aggregation
        self.limit = limit
    }
}
