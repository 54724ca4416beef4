import KilnFormat
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
        var touched: [Block] = []
        try await forEachSource(HeadRequest(selector: selector, range: range, detail: .profiles)) { s in
            let refs = s.select(selector).filter { s.hasProfiles($0, in: range.closed) }
            guard !refs.isEmpty else { return }
            var profiles = 0
            for ref in refs { s.forEachProfile(of: ref, in: range) { _, _, _ in profiles += 1 } }
            let samples = s.sampleCount(of: refs, in: range)
            if let b = s as? Block {
                blocks.blocks += 1
                blocks.series += refs.count
                blocks.profiles += profiles
                blocks.samples += samples
                func size(_ name: String) -> Int { b.meta.files.first { $0.name == name }?.size ?? 0 }
                blocks.indexBytes += size(BlockSchema.indexFile)
                blocks.profileBytes += size(BlockSchema.profilesFile)
                blocks.symbolBytes += size(BlockSchema.symbolsFile)
                touched.append(b)
            } else if let e = s as? HeadExtract {
                // An ingester's source; its unshipped blocks count as long-term storage, as they would in one process.
                if e.isBlock { blocks.blocks += 1 } else { head.components = 1 }
                func add(_ scope: inout Analysis.Scope) {
                    scope.series += refs.count
                    scope.profiles += profiles
                    scope.samples += samples
                    scope.profileBytes += e.selectedBytes
                }
                if e.isBlock { add(&blocks) } else { add(&head) }
            } else if let h = s as? HeadState {
                head.components = 1
                head.series += refs.count
                head.profiles += profiles
                head.samples += samples
                // Heads are in memory: their estimated size stands for the bytes a block would hold.
                head.profileBytes += h.estimatedBytes * samples / max(h.sampleCount, 1)
            }
        }
        blocks.components = blocks.blocks > 0 ? 1 : 0
        touched.sort { $0.meta.minTimeNanos < $1.meta.minTimeNanos }
        let overlap = zip(touched, touched.dropFirst()).contains { $1.meta.minTimeNanos <= $0.meta.maxTimeNanos }
        return Analysis(scopes: [head, blocks], deduplicationNeeded: overlap)
    }
}
