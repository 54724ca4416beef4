import KilnFormat
import KilnModel

extension Block {
    /// Refs of the series the selector matches, ascending.
    public func select(_ selector: LabelSelector) -> [UInt32] {
        selector.select(seriesCount: labels.count, postings: { postings[$0]?[$1] ?? [] }, labels: { labels[Int($0)] })
    }

    /// Whether series `ref` has a profile in `range`.
    public func hasProfiles(_ ref: UInt32, in range: ClosedRange<Int64>) -> Bool {
        let s = Int(ref)
        guard seriesProfileCount[s] > 0, seriesMinTime[s] <= range.upperBound, seriesMaxTime[s] >= range.lowerBound else { return false }
        return !profiles(of: ref, in: range).isEmpty
    }

    /// Rows of the profile table for series `ref` with time in `range`, ascending
    /// (profiles are sorted by time within a series: a binary search each side).
    public func profiles(of ref: UInt32, in range: ClosedRange<Int64>) -> Range<Int> {
        let first = seriesFirstProfile[Int(ref)]
        let end = first + seriesProfileCount[Int(ref)]
        let lo = partition(first, end) { profileTime[$0] < range.lowerBound }
        let hi = partition(lo, end) { profileTime[$0] <= range.upperBound }
        return lo..<hi
    }

    private func partition(_ lo: Int, _ hi: Int, _ before: (Int) -> Bool) -> Int {
        var lo = lo, hi = hi
        while lo < hi {
            let mid = (lo + hi) / 2
            if before(mid) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public func profileTimeNanos(_ row: Int) -> Int64 { profileTime[row] }
    public func profileTotalValue(_ row: Int) -> Int64 { profileTotal[row] }

    /// Calls `body` with the samples of the given profile rows (ascending), a
    /// run at a time: reads only the `samples` pages those rows fall in (one
    /// pread per page and column), checking each stack id against the symbols.
    /// - Throws: `BlockError` naming the file and offset of a bad page.
    public func forEachSampleRun(profiles rows: [Int], _ body: (ArraySlice<UInt64>, ArraySlice<UInt64>) throws -> Void) throws {
        let ranges = rows.map { profileFirstSample[$0]..<(profileFirstSample[$0] + profileSampleCount[$0]) }.filter { !$0.isEmpty }
        guard !ranges.isEmpty else { return }
        let stackPages = samples.pages(column: 0)
        let valuePages = samples.pages(column: 1)
        let stackLimit = UInt64(symbols.stackCount)
        var r = 0
        for (p, page) in stackPages.enumerated() {
            while r < ranges.count && ranges[r].upperBound <= page.firstRow { r += 1 }
            guard r < ranges.count else { return }
            guard ranges[r].lowerBound < page.rowRange.upperBound else { continue }
            let stacks = try readPage(page, type: .uint64)
            let values = try readPage(valuePages[p], type: .uint64)
            if let bad = stacks.first(where: { $0 >= stackLimit }) {
                throw BlockError(path: profilesPath, offset: page.offset, reason: "stack id \(bad) out of range (\(stackLimit) stacks)")
            }
            var k = r
            while k < ranges.count && ranges[k].lowerBound < page.rowRange.upperBound {
                let lo = max(ranges[k].lowerBound, page.firstRow) - page.firstRow
                let hi = min(ranges[k].upperBound, page.rowRange.upperBound) - page.firstRow
                try body(stacks[lo..<hi], values[lo..<hi])
                if ranges[k].upperBound > page.rowRange.upperBound { break }
                k += 1
            }
            r = k
        }
    }

    private func readPage(_ page: PageLocation, type: ColumnType) throws -> [UInt64] {
        let bytes = try FileIO.pread(fd, page.range, path: profilesPath)
        do {
            return try ColumnarFile.decodePage(bytes, bytesOffset: page.offset, at: page, type: type).integers
        } catch {
            throw BlockError(path: profilesPath, offset: error.offset, reason: error.reason)
        }
    }
}
