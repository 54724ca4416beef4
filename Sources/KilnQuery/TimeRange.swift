/// A closed range of Unix nanoseconds selecting profiles by collection time.
public struct TimeRange: Sendable, Equatable {
    public var startNanos: Int64
    public var endNanos: Int64

    public init(startNanos: Int64, endNanos: Int64) {
        self.startNanos = startNanos
        self.endNanos = endNanos
    }

    /// Every representable time.
    public static let all = TimeRange(startNanos: .min, endNanos: .max)

    /// The API's millisecond range `[start, end]`: a profile at `t` ns is in
    /// range when `start ≤ ⌊t / 1e6⌋ ≤ end`. `0, 0` (unset) means all time.
    public static func milliseconds(_ start: Int64, _ end: Int64) -> TimeRange {
        if start == 0 && end == 0 { return .all }
        let (s, so) = start.multipliedReportingOverflow(by: 1_000_000)
        let (e, eo) = end.multipliedReportingOverflow(by: 1_000_000)
        return TimeRange(
            startNanos: so ? (start < 0 ? .min : .max) : s,
            endNanos: eo ? (end < 0 ? .min : .max) : e.addingReportingOverflow(999_999).overflow ? .max : e + 999_999
        )
    }

    public var closed: ClosedRange<Int64> { startNanos...max(startNanos, endNanos) }
    public var isEmpty: Bool { endNanos < startNanos }

    @inline(__always)
    public func contains(_ t: Int64) -> Bool { t >= startNanos && t <= endNanos }
}
