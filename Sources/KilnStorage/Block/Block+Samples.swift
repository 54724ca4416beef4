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
        var lo = lo
        var hi = hi
        while lo < hi {
            let mid = (lo + hi) / 2
            if before(mid) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Samples of series `ref`'s profiles in `range`.
    public func sampleCount(of ref: UInt32, in range: ClosedRange<Int64>) -> Int {
        profiles(of: ref, in: range).reduce(0) { $0 + profileSampleCount[$1] }
    }

    public func sampleCount(ofProfile row: Int) -> Int { profileSampleCount[row] }

    public func profileTimeNanos(_ row: Int) -> Int64 { profileTime[row] }
    public func profileTotalValue(_ row: Int) -> Int64 { profileTotal[row] }
    /// The profile's span id (`SpanID`), 0 when it has none.
    public func profileSpanID(_ row: Int) -> UInt64 { profileSpan.isEmpty ? 0 : profileSpan[row] }

    /// Calls `body` with the samples of the given profile rows (ascending), a
    /// run at a time: reads only the `samples` pages those rows fall in (asking
    /// the source to prefetch them all first), checking each stack id against
    /// the symbols.
    /// - Parameter checkpoint: called before each page is read; what it throws
    ///   (a deadline, a cancellation) ends the scan.
    /// - Throws: `BlockError` naming the file and offset of a bad page; the
    ///   source's error when a read fails; what `checkpoint` throws.
    public func forEachSampleRun(
        profiles rows: [Int], checkpoint: () throws -> Void = {},
        _ body: (ArraySlice<UInt64>, ArraySlice<UInt64>) throws -> Void
    ) async throws {
        let ranges = rows.map { profileFirstSample[$0]..<(profileFirstSample[$0] + profileSampleCount[$0]) }.filter { !$0.isEmpty }
        guard !ranges.isEmpty else { return }
        // The pages the rows touch: both passes below walk them the same way.
        var needed: [Int] = []
        var r = 0
        for (p, page) in stackPages.enumerated() {
            while r < ranges.count && ranges[r].upperBound <= page.firstRow { r += 1 }
            guard r < ranges.count else { break }
            if ranges[r].lowerBound < page.rowRange.upperBound { needed.append(p) }
        }
        try await files.prefetch(BlockSchema.profilesFile, needed.flatMap { [stackPages[$0].range, valuePages[$0].range] })
        r = 0
        var decoders = PageDecoders()
        for p in needed {
            try checkpoint()
            let page = stackPages[p]
            while r < ranges.count && ranges[r].upperBound <= page.firstRow { r += 1 }
            try decodePages(
                p, try await files.read(BlockSchema.profilesFile, page.range),
                try await files.read(BlockSchema.profilesFile, valuePages[p].range), into: &decoders)
            let (stacks, values) = (decoders.stacks.values, decoders.values.values)
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

    /// A decoder per column of the samples table, reused page after page.
    struct PageDecoders {
        var stacks = PageDecoder()
        var values = PageDecoder()
    }

    private func decodePage(_ bytes: [UInt8], _ page: PageLocation, into decoder: inout PageDecoder) throws {
        guard bytes.count == page.range.count else {
            throw BlockError(path: profilesPath, offset: page.offset + bytes.count, reason: "file ends inside a page of \(page.range.count) bytes")
        }
        do {
            try ColumnarFile.decodePage(bytes, bytesOffset: page.offset, at: page, type: .uint64, into: &decoder)
        } catch {
            throw BlockError(path: profilesPath, offset: error.offset, reason: error.reason)
        }
    }

    /// Page `p` of the stack and value columns from their bytes, checked, into `decoders`.
    func decodePages(_ p: Int, _ stackBytes: [UInt8], _ valueBytes: [UInt8], into decoders: inout PageDecoders) throws {
        let page = stackPages[p]
        try decodePage(stackBytes, page, into: &decoders.stacks)
        try decodePage(valueBytes, valuePages[p], into: &decoders.values)
        let largest = decoders.stacks.values.withUnsafeBufferPointer { ids in ids.reduce(0) { max($0, $1) } }
        if !decoders.stacks.values.isEmpty && largest >= UInt64(symbols.stackCount) {
            throw BlockError(path: profilesPath, offset: page.offset, reason: "stack id \(largest) out of range (\(symbols.stackCount) stacks)")
        }
    }
}

extension Block {
    /// Reads profiles' samples in ascending row order, decoding each page
    /// once: it keeps the last page it read. Compaction walks every source
    /// block this way, so memory stays at one page per source.
    ///
    /// The cursor reads synchronously, so it takes local blocks only (the
    /// compactor downloads remote sources first: it reads them whole anyway).
    public struct SampleCursor {
        let block: Block
        let files: LocalBlockFiles
        private var page = -1
        private var decoders = PageDecoders()

        /// - Precondition: the block's files are local.
        public init(_ block: Block) {
            guard let files = block.files as? LocalBlockFiles else { preconditionFailure("SampleCursor reads local blocks only: \(block.path)") }
            self.block = block
            self.files = files
        }

        /// The samples (stack, value) of profile `row`.
        /// - Throws: `BlockError` for a page that does not decode or holds a stack id out of range.
        public mutating func samples(ofProfile row: Int) throws -> [(stack: UInt64, value: UInt64)] {
            let first = block.profileFirstSample[row]
            let end = first + block.profileSampleCount[row]
            var out: [(stack: UInt64, value: UInt64)] = []
            out.reserveCapacity(end - first)
            let pages = block.stackPages
            var i = first
            while i < end {
                if page < 0 || !pages[page].rowRange.contains(i) {
                    guard let p = pages.firstIndex(where: { $0.rowRange.contains(i) }) else {
                        throw BlockError(path: block.profilesPath, offset: nil, reason: "sample row \(i) is in no page")
                    }
                    try block.decodePages(
                        p, try files.readNow(BlockSchema.profilesFile, pages[p].range),
                        try files.readNow(BlockSchema.profilesFile, block.valuePages[p].range), into: &decoders)
                    page = p
                }
                let range = pages[page].rowRange
                let upTo = min(end, range.upperBound)
                let (stacks, values) = (decoders.stacks.values, decoders.values.values)
                for j in i..<upTo { out.append((stacks[j - range.lowerBound], values[j - range.lowerBound])) }
                i = upTo
            }
            return out
        }
    }

    /// Series `ref`'s profile rows, all of them.
    public func profileRows(of ref: UInt32) -> Range<Int> {
        seriesFirstProfile[Int(ref)]..<(seriesFirstProfile[Int(ref)] + seriesProfileCount[Int(ref)])
    }

    public func profileDurationNanos(_ row: Int) -> Int64 { profileDuration[row] }
}
