import KilnModel

/// One series of the head: its labels and its profiles, stored as columns.
///
/// Profile `i` of the series owns samples
/// `sampleStarts[i] ..< sampleStarts[i] + sampleCounts[i]` of the head's
/// sample columns. Profiles are kept in arrival order, which is usually but
/// not necessarily time order; `minTime`/`maxTime` bound them.
public struct HeadSeries: Sendable {
    public let ref: UInt32
    public let labels: LabelSet
    public let profileType: ProfileTypeID
    public private(set) var timeNanos: [Int64] = []
    public private(set) var durationNanos: [Int64] = []
    /// Sum of the profile's sample values (what a time-series point adds up).
    public private(set) var totals: [Int64] = []
    public private(set) var sampleStarts: [Int] = []
    public private(set) var sampleCounts: [UInt32] = []
    /// The span of each profile's samples (`SpanID`, 0: none): a pushed
    /// profile whose samples carry span ids is stored as one profile per span.
    public private(set) var spanIDs: [UInt64] = []
    public private(set) var minTime = Int64.max
    public private(set) var maxTime = Int64.min

    init(ref: UInt32, labels: LabelSet, profileType: ProfileTypeID) {
        self.ref = ref
        self.labels = labels
        self.profileType = profileType
    }

    public var profileCount: Int { timeNanos.count }

    /// Whether any profile lies in `[start, end]` (nanoseconds).
    public func hasProfiles(in range: ClosedRange<Int64>) -> Bool {
        guard !timeNanos.isEmpty, minTime <= range.upperBound, maxTime >= range.lowerBound else { return false }
        if minTime >= range.lowerBound || maxTime <= range.upperBound { return true }
        return timeNanos.contains { range.contains($0) }
    }

    mutating func append(timeNanos t: Int64, durationNanos d: Int64, spanID: UInt64, total: Int64, sampleStart: Int, sampleCount: Int) {
        timeNanos.append(t)
        spanIDs.append(spanID)
        durationNanos.append(d)
        totals.append(total)
        sampleStarts.append(sampleStart)
        sampleCounts.append(UInt32(sampleCount))
        minTime = min(minTime, t)
        maxTime = max(maxTime, t)
    }
}
