/// A `Duration` in the units Kiln's formats, APIs and metrics count in. The
/// one conversion from Swift's seconds-and-attoseconds representation.
extension Duration {
    /// Whole nanoseconds, truncated toward zero; saturates at `Int64`'s
    /// bounds (±292 years).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflowSum) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowSum ? (seconds < 0 ? .min : .max) : sum
    }

    /// Whole milliseconds, truncated toward zero (saturating as `nanoseconds`).
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// Seconds as a floating-point number (for `Date` arithmetic and rates).
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
