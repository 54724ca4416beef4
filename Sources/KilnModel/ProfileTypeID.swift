/// A profile type: `name:sample_type:sample_unit:period_type:period_unit`,
/// e.g. `process_cpu:cpu:nanoseconds:cpu:nanoseconds`.
///
/// The period parts are empty when the pprof has no period type
/// (`process_cpu:samples:count::`). A sixth part (`:delta`) is accepted when
/// parsing and dropped, as Pyroscope does.
public struct ProfileTypeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var name: String
    public var sampleType: String
    public var sampleUnit: String
    public var periodType: String
    public var periodUnit: String

    public init(name: String, sampleType: String, sampleUnit: String, periodType: String, periodUnit: String) {
        self.name = name
        self.sampleType = sampleType
        self.sampleUnit = sampleUnit
        self.periodType = periodType
        self.periodUnit = periodUnit
    }

    /// Parses an ID of five (or six, the last being `delta`) colon-separated parts.
    public init(parsing id: String) throws(ProfileTypeIDError) {
        let parts = id.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5 || (parts.count == 6 && parts[5] == "delta") else {
            throw ProfileTypeIDError(id: id)
        }
        guard !parts[0].isEmpty, !parts[1].isEmpty else { throw ProfileTypeIDError(id: id) }
        self.init(name: parts[0], sampleType: parts[1], sampleUnit: parts[2], periodType: parts[3], periodUnit: parts[4])
    }

    /// The canonical five-part ID.
    public var id: String { "\(name):\(sampleType):\(sampleUnit):\(periodType):\(periodUnit)" }
    public var description: String { id }

    public static func < (lhs: ProfileTypeID, rhs: ProfileTypeID) -> Bool { lhs.id < rhs.id }
}

public struct ProfileTypeIDError: Error, Equatable, Sendable, CustomStringConvertible {
    public let id: String
    public var description: String {
        "invalid profile type ID \(quoted(id)): want name:sample_type:sample_unit:period_type:period_unit"
    }
}
