/// Decides, from block metadata alone, which of a tenant's blocks to merge
/// next, and which retention removes. Pure: testable without any file.
///
/// Levels follow time ranges (Prometheus' and Pyroscope's scheme): for each
/// range `R` in ascending order, blocks lying wholly inside one aligned window
/// `[k·R, (k+1)·R)` are merged once the window is closed — some block already
/// holds data past its end, so no cut will add to it. A lone hot (level 1)
/// block in a closed window of the smallest range is rewritten alone, so
/// every block ends up cold (zstd). A block that straddles a window waits for
/// a larger range.
public struct CompactionPlanner: Sendable {
    /// Window sizes in nanoseconds, ascending.
    public let ranges: [Int64]

    /// Pyroscope-like defaults: 2 h, 12 h and 48 h windows above 1 h cuts.
    public static let defaultRanges: [Int64] = [2, 12, 48].map { $0 * 3_600_000_000_000 }

    public init(ranges: [Int64] = CompactionPlanner.defaultRanges) {
        self.ranges = ranges.filter { $0 > 0 }.sorted()
    }

    /// The next group to merge (oldest window first, smallest range first), or nil.
    public func plan(_ blocks: [BlockMeta]) -> [BlockMeta]? {
        guard let newest = blocks.map(\.maxTimeNanos).max() else { return nil }
        for (i, range) in ranges.enumerated() {
            var windows: [Int64: [BlockMeta]] = [:]
            for b in blocks {
                let w = Self.floorDiv(b.minTimeNanos, range)
                guard Self.floorDiv(b.maxTimeNanos, range) == w else { continue }
                windows[w, default: []].append(b)
            }
            for w in windows.keys.sorted() {
                let group = windows[w]!.sorted { $0.ulid < $1.ulid }
                let (end, overflow) = (w + 1).multipliedReportingOverflow(by: range)
                guard !overflow, newest >= end else { continue }
                if group.count >= 2 || (i == 0 && group.count == 1 && group[0].level == 1) { return group }
            }
        }
        return nil
    }

    /// Blocks whose newest profile is older than `retention` at `now` (nanoseconds).
    public static func expired(_ blocks: [BlockMeta], nowNanos: Int64, retention: Int64) -> [BlockMeta] {
        blocks.filter { $0.maxTimeNanos < nowNanos - retention }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
