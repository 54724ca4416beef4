import KilnModel
import KilnPprof

/// One decoded profile and the series it feeds: the unit the distributor hands
/// to an ingester.
///
/// A pprof with N sample types feeds N series (one per type, each labelled with
/// its `__profile_type__`); `series[i].sampleType` says which column of the
/// profile's values belongs to that series.
public struct IngestProfile: Sendable {
    public struct Target: Sendable, Equatable {
        public var labels: LabelSet
        public var profileType: ProfileTypeID
        /// Index into `profile.sampleTypes`.
        public var sampleType: Int
        /// The samples that belong to this series, ascending; nil: all of them.
        /// Sample labels split a profile's samples among series (`SampleLabelGroups`).
        public var samples: [Int32]?
        /// Whether the values count since the process started and are turned
        /// into deltas at ingest (`CumulativeBaselines`, `SeriesLabels.isCumulative`).
        public var cumulative: Bool

        public init(labels: LabelSet, profileType: ProfileTypeID, sampleType: Int, samples: [Int32]? = nil, cumulative: Bool = false) {
            self.labels = labels
            self.profileType = profileType
            self.sampleType = sampleType
            self.samples = samples
            self.cumulative = cumulative
        }
    }

    public var profile: Profile
    public var series: [Target]
    /// Collection time, Unix nanoseconds.
    public var timeNanos: Int64
    public var durationNanos: Int64
    /// The client's profile UUID, when it sent one.
    public var id: String
    /// The span id of each sample (`SpanID`, 0: none); empty when no sample has one.
    public var sampleSpans: [UInt64]
    /// Bytes of the upload this profile came from, uncompressed (the pprof,
    /// or the folded text): what ingestion rate limits count.
    public var sizeBytes: Int

    public init(
        profile: Profile, series: [Target], timeNanos: Int64, durationNanos: Int64, id: String = "", sampleSpans: [UInt64] = [],
        sizeBytes: Int = 0
    ) {
        self.profile = profile
        self.series = series
        self.timeNanos = timeNanos
        self.durationNanos = durationNanos
        self.id = id
        self.sampleSpans = sampleSpans
        self.sizeBytes = sizeBytes
    }
}
