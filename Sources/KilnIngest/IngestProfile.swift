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

        public init(labels: LabelSet, profileType: ProfileTypeID, sampleType: Int) {
            self.labels = labels
            self.profileType = profileType
            self.sampleType = sampleType
        }
    }

    public var profile: Profile
    public var series: [Target]
    /// Collection time, Unix nanoseconds.
    public var timeNanos: Int64
    public var durationNanos: Int64
    /// The client's profile UUID, when it sent one.
    public var id: String

    public init(profile: Profile, series: [Target], timeNanos: Int64, durationNanos: Int64, id: String = "") {
        self.profile = profile
        self.series = series
        self.timeNanos = timeNanos
        self.durationNanos = durationNanos
        self.id = id
    }
}
