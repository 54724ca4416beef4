/// Pyroscope's `attime` time parameters (`from`, `until` of `/ingest` and the
/// legacy render API): absolute times whose unit is told by their digit count,
/// or `now` with an optional offset.
public enum AtTime {
    /// Parses `text` into Unix nanoseconds.
    ///
    /// All digits: 8 → `YYYYMMDD` (UTC midnight), 13 → milliseconds,
    /// 16 → microseconds, 19 → nanoseconds, any other count → seconds.
    /// `now`, `now-1h`, `now+30m`: units `s`, `m`/`min`, `h`, `d`, `w`,
    /// `M`/`mon`, `y` (a month is 30 days, a year 365, as Pyroscope counts them).
    /// - Returns: nil when `text` is none of these.
    public static func parse(_ text: String, nowNanos: Int64) -> Int64? {
        let s = text.trimmingSpaces()
        if s.isEmpty || s == "now" { return nowNanos }
        if s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            guard let v = Int64(s) else { return nil }
            switch s.utf8.count {
            case 8: return civilMidnightNanos(v)
            case 13: return v.multipliedReportingOverflow(by: 1_000_000).overflow ? nil : v * 1_000_000
            case 16: return v.multipliedReportingOverflow(by: 1_000).overflow ? nil : v * 1_000
            case 19: return v
            default: return v.multipliedReportingOverflow(by: 1_000_000_000).overflow ? nil : v * 1_000_000_000
            }
        }
        guard s.hasPrefix("now"), s.count > 4 else { return nil }
        let sign: Int64
        switch s.dropFirst(3).first {
        case "-": sign = -1
        case "+": sign = 1
        default: return nil
        }
        let rest = s.dropFirst(4)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard let n = Int64(digits), let unit = unitNanos[String(rest.dropFirst(digits.count))] else { return nil }
        let (offset, overflow) = n.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        let (t, overflow2) = nowNanos.addingReportingOverflow(sign * offset)
        return overflow2 ? nil : t
    }

    private static let second: Int64 = 1_000_000_000
    private static let day: Int64 = 86_400 * second
    private static let unitNanos: [String: Int64] = [
        "s": second, "m": 60 * second, "min": 60 * second, "h": 3_600 * second,
        "d": day, "w": 7 * day, "M": 30 * day, "mon": 30 * day, "y": 365 * day,
    ]

    /// `YYYYMMDD` → Unix nanoseconds at UTC midnight (days-from-civil, Howard Hinnant).
    private static func civilMidnightNanos(_ yyyymmdd: Int64) -> Int64? {
        var y = yyyymmdd / 10_000
        let m = (yyyymmdd / 100) % 100
        let d = yyyymmdd % 100
        guard (1...12).contains(m), (1...31).contains(d) else { return nil }
        y -= m <= 2 ? 1 : 0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * day
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
