import KilnHead
import KilnModel
import KilnStorage

extension Query {
    /// What a query would read, per storage scope (`AnalyzeQuery`): from the
    /// index and block metadata alone, no page read.
    public struct Analysis: Sendable, Equatable {
        public struct Scope: Sendable, Equatable {
            /// "Short term storage" (heads in memory) or "Long term storage" (blocks).
            public var component: String
            public var components = 0
            public var blocks = 0
            public var series = 0
            public var profiles = 0
            public var samples = 0
            public var indexBytes = 0
            public var profileBytes = 0
            public var symbolBytes = 0
        }

        public var scopes: [Scope]
        public var totalBytes: Int { scopes.reduce(0) { $0 + $1.indexBytes + $1.profileBytes + $1.symbolBytes } }
        public var totalSeries: Int { scopes.reduce(0) { $0 + $1.series } }
        /// Whether blocks overlapping in time hold the selected data: their
        /// profiles may repeat until compaction merges them.
        public var deduplicationNeeded: Bool
    }

    /// Scopes of the series `selector` matches with data in `range`.
    public func analyze(selector: LabelSelector, range: TimeRange) async throws -> Analysis {
        var head = Analysis.Scope(component: "Short term storage")
        var blocks = Analysis.Scope(component: "Long term storage")
        var blockSpans: [ClosedRange<Int64>] = []
        try await forEachSource(HeadRequest(selector: selector, range: range, detail: .profiles)) { s in
            let refs = s.select(selector).filter { s.hasProfiles($0, in: range.closed) }
            guard !refs.isEmpty else { return }
            var profiles = 0
            for ref in refs { s.forEachProfile(of: ref, in: range) { _, _, _ in profiles += 1 } }
            let samples = s.sampleCount(of: refs, in: range)
            let footprint = s.footprint(samples: samples)
            func add(_ scope: inout Analysis.Scope) {
                scope.series += refs.count
                scope.profiles += profiles
                scope.samples += samples
                scope.indexBytes += footprint.indexBytes
                scope.profileBytes += footprint.profileBytes
                scope.symbolBytes += footprint.symbolBytes
            }
            switch footprint.tier {
            case .head:
                head.components = 1
                add(&head)
            case .block:
                // An ingester's unshipped blocks count as long-term storage, as they would in one process.
                blocks.blocks += 1
                add(&blocks)
            }
            if let span = footprint.blockSpan { blockSpans.append(span) }
        }
        blocks.components = blocks.blocks > 0 ? 1 : 0
        blockSpans.sort { $0.lowerBound < $1.lowerBound }
        let overlap = zip(blockSpans, blockSpans.dropFirst()).contains { $1.lowerBound <= $0.upperBound }
        return Analysis(scopes: [head, blocks], deduplicationNeeded: overlap)
    }
}
