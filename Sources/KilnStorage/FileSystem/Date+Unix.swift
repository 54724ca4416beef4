import Foundation

/// Wall-clock time as Kiln stores it: profile timestamps in Unix
/// nanoseconds, ULIDs and lease records in Unix milliseconds. The one
/// conversion from `Date`.
extension Date {
    public var unixNanoseconds: Int64 { Int64(timeIntervalSince1970 * 1e9) }

    /// Never negative: a ULID's time field is unsigned.
    public var unixMilliseconds: Int64 { Int64(max(timeIntervalSince1970, 0) * 1000) }
}
