import ArgumentParser
import Foundation

/// The values flags take beyond ArgumentParser's own: sizes and durations.
enum FlagValue {
    /// "512MiB", "1GiB", "100KB", "4096" → bytes.
    static func bytes(_ text: String, flag: String) throws -> Int {
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
        ]
        let t = text.trimmingCharacters(in: .whitespaces)
        let (digits, unit) = units.first { t.hasSuffix($0.0) }.map { (String(t.dropLast($0.0.count)), $0.1) } ?? (t, 1)
        guard let n = Int(digits.trimmingCharacters(in: .whitespaces)), n >= 0, n <= Int.max / unit else {
            throw ValidationError("\(flag): \"\(text)\" is not a size such as 4096, 512MiB or 1GiB")
        }
        return n * unit
    }

    /// A duration → nanoseconds: "90s", "15m", "2h", "30d", "0", and Go's and
    /// Prometheus' forms as Pyroscope writes them ("1h30m", "500ms", "0s", "1w", "1y").
    static func duration(_ text: String, flag: String) throws -> Int64 {
        // "ms" before "m": the first unit that prefixes the rest is taken.
        let units: [(String, Int64)] = [
            ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
            ("w", 7 * 86_400_000_000_000), ("y", 365 * 86_400_000_000_000),
        ]
        let invalid = ValidationError("\(flag): \"\(text)\" is not a duration such as 90s, 15m, 2h, 1h30m or 30d")
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { throw invalid }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isASCII).prefix(while: \.isNumber)
            rest = rest.dropFirst(digits.count)
            guard let n = Int64(digits), let (unit, size) = units.first(where: { rest.hasPrefix($0.0) }) else {
                throw invalid
            }
            rest = rest.dropFirst(unit.count)
            let (product, overflow) = n.multipliedReportingOverflow(by: size)
            let (sum, overflowSum) = total.addingReportingOverflow(product)
            guard !overflow, !overflowSum else { throw invalid }
            total = sum
        }
        return total
    }
}
