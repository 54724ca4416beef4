import KilnModel
import KilnPprof

/// A profile decoded from a format other than pprof (OTLP, Parca's Arrow
/// samples) with the labels its series are pushed under: what
/// `PushConverter.convert(_:nowNanos:limits:)` takes, as a Push takes raw pprof.
public struct DecodedProfile: Sendable {
    public var labels: [Label]
    public var profile: Profile

    public init(labels: [Label], profile: Profile) {
        self.labels = labels
        self.profile = profile
    }
}
