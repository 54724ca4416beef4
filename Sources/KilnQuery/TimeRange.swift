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
    /// range when `start ≤ ⌊t / 1e6⌋ ≤ end`. The fields are optional on the
    /// wire: a 0 start is "from the beginning", a 0 end "until the end".
    public static func milliseconds(_ start: Int64, _ end: Int64) -> TimeRange {
        let r = exactMilliseconds(start, end)
        return TimeRange(startNanos: start == 0 ? .min : r.startNanos, endNanos: end == 0 ? .max : r.endNanos)
    }

    /// `[start, end]` in milliseconds with no special meaning for 0; values
    /// beyond what nanoseconds can hold saturate.
    public static func exactMilliseconds(_ start: Int64, _ end: Int64) -> TimeRange {
        func nanos(_ ms: Int64, plus extra: Int64) -> Int64 {
            let (n, overflow) = ms.multipliedReportingOverflow(by: 1_000_000)
            if overflow { return ms < 0 ? .min : .max }
            let (sum, o2) = n.addingReportingOverflow(extra)
            return o2 ? .max : sum
        }
        return TimeRange(startNanos: nanos(start, plus: 0), endNanos: nanos(end, plus: 999_999))
    }

    public var closed: ClosedRange<Int64> { startNanos...max(startNanos, endNanos) }
    public var isEmpty: Bool { endNanos < startNanos }

    @inline(__always)
    public func contains(_ t: Int64) -> Bool { t >= startNanos && t <= endNanos }
}
