import KilnFormat
import KilnHead
import KilnModel
import KilnStorage

/// What the query kernels read, the same for the live head, a frozen head,
/// a block and an ingester's extract: series by selector, their labels,
/// their profiles' times and totals, per-stack sums over the source's own
/// symbol ids, how a merge cuts its samples into parallel work, and what
/// reading it costs. The engine treats every source alike through it.
public protocol QuerySource: Sendable {
    var symbolView: SymbolView { get }
    func select(_ selector: LabelSelector) -> [UInt32]
    func labels(of ref: UInt32) -> LabelSet
    func hasProfiles(_ ref: UInt32, in range: ClosedRange<Int64>) -> Bool
    /// Calls `body(time, total, span)` for each profile of `ref` in `range`
    /// (span 0: none). The profiles a pushed profile was stored as, one per
    /// span, come one after the other.
    func forEachProfile(of ref: UInt32, in range: TimeRange, _ body: (Int64, Int64, UInt64) -> Void)
    /// Adds the samples of every profile of `refs` in `range` (and of a span
    /// of `spans`, when given) to `totals` (sized `symbolView.stackCount`);
    /// returns whether there was any profile.
    /// Heads answer at once; a block may read pages, from disk or a bucket.
    func addSamples(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals) async throws -> Bool
    /// Earliest and latest profile time, nil when empty.
    var timeBounds: ClosedRange<Int64>? { get }
    /// Samples of the profiles of `refs` in `range` (and of a span of
    /// `spans`, when given), from the index alone (for query budgets).
    func sampleCount(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?) -> Int
    /// The selected profiles cut into pieces of about `samplesPerPiece`
    /// samples, the units a merge runs in parallel, and the samples they
    /// hold (for the budget). In memory a source is one piece, `.all`.
    func mergePieces(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, samplesPerPiece: Int) -> (
        pieces: [MergePiece], samples: Int
    )
    /// Adds the samples of one of the pieces `mergePieces` cut from the same
    /// selection to `totals`, calling `checkpoint` between pages; returns
    /// whether there was any profile.
    func addSamples(
        of piece: MergePiece, refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals,
        checkpoint: () throws -> Void
    ) async throws -> Bool
    /// Where the source sits and what reading `samples` of its samples
    /// costs (`AnalyzeQuery`), from the index and metadata alone.
    func footprint(samples: Int) -> SourceFootprint
}

/// A unit of a merge's parallel work: everything a source selected (a
/// source in memory), or some of a block's selected profiles, by row.
public enum MergePiece: Sendable {
    case all
    case profiles([Int])
}

/// What reading a source's selection costs, per storage tier (`AnalyzeQuery`).
public struct SourceFootprint: Sendable, Equatable {
    public enum Tier: Sendable {
        /// "Short term storage": heads in memory, at an ingester or here.
        case head
        /// "Long term storage": blocks, an ingester's unshipped ones included.
        case block
    }

    public var tier: Tier
    public var indexBytes = 0
    public var profileBytes = 0
    public var symbolBytes = 0
    /// A block read here: its time span (blocks overlapping in time need deduplication).
    public var blockSpan: ClosedRange<Int64>?

    public init(tier: Tier, indexBytes: Int = 0, profileBytes: Int = 0, symbolBytes: Int = 0, blockSpan: ClosedRange<Int64>? = nil) {
        self.tier = tier
        self.indexBytes = indexBytes
        self.profileBytes = profileBytes
        self.symbolBytes = symbolBytes
        self.blockSpan = blockSpan
    }

    public var bytes: Int { indexBytes + profileBytes + symbolBytes }
}

extension QuerySource {
    /// Samples of the profiles of `refs` in `range`, from the index alone.
    public func sampleCount(of refs: [UInt32], in range: TimeRange) -> Int { sampleCount(of: refs, in: range, spans: nil) }

    /// One piece: a source in memory is summed at once.
    public func mergePieces(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, samplesPerPiece: Int) -> (
        pieces: [MergePiece], samples: Int
    ) {
        ([.all], sampleCount(of: refs, in: range, spans: spans))
    }

    /// The whole selection, whatever the piece: a source in memory has one.
    public func addSamples(
        of piece: MergePiece, refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals,
        checkpoint: () throws -> Void
    ) async throws -> Bool {
        try await addSamples(of: refs, in: range, spans: spans, to: &totals)
    }
}

extension HeadState: QuerySource {
    public var symbolView: SymbolView { symbols.view }

    public func sampleCount(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?) -> Int {
        var n = 0
        for ref in refs {
            let s = series[Int(ref)]
            guard s.hasProfiles(in: range.closed) else { continue }
            for i in 0..<s.profileCount where range.contains(s.timeNanos[i]) && spans.keeps(s.spanIDs[i]) { n += Int(s.sampleCounts[i]) }
        }
        return n
    }
    public func labels(of ref: UInt32) -> LabelSet { series[Int(ref)].labels }
    public func hasProfiles(_ ref: UInt32, in range: ClosedRange<Int64>) -> Bool { series[Int(ref)].hasProfiles(in: range) }

    public func forEachProfile(of ref: UInt32, in range: TimeRange, _ body: (Int64, Int64, UInt64) -> Void) {
        let s = series[Int(ref)]
        for i in 0..<s.profileCount where range.contains(s.timeNanos[i]) { body(s.timeNanos[i], s.totals[i], s.spanIDs[i]) }
    }

    public func addSamples(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals) -> Bool {
        var any = false
        for ref in refs {
            let s = series[Int(ref)]
            guard s.hasProfiles(in: range.closed) else { continue }
            for i in 0..<s.profileCount where range.contains(s.timeNanos[i]) && spans.keeps(s.spanIDs[i]) {
                let start = s.sampleStarts[i]
                let end = start + Int(s.sampleCounts[i])
                totals.add(stacks: sampleStacks[start..<end], values: sampleValues[start..<end])
                any = true
            }
        }
        return any
    }

    public var timeBounds: ClosedRange<Int64>? {
        var lo = Int64.max
        var hi = Int64.min
        for s in series where s.profileCount > 0 {
            lo = min(lo, s.minTime)
            hi = max(hi, s.maxTime)
        }
        return lo <= hi ? lo...hi : nil
    }

    /// In memory: its estimated size, pro rata, stands for the bytes a block would hold.
    public func footprint(samples: Int) -> SourceFootprint {
        SourceFootprint(tier: .head, profileBytes: estimatedBytes * samples / max(sampleCount, 1))
    }
}

extension Block: QuerySource {
    public var symbolView: SymbolView { symbols }

    public func sampleCount(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?) -> Int {
        guard spans != nil else { return refs.reduce(0) { $0 + sampleCount(of: $1, in: range.closed) } }
        return profileRows(of: refs, in: range, spans: spans).reduce(0) { $0 + sampleCount(ofProfile: $1) }
    }
    public func labels(of ref: UInt32) -> LabelSet { labels[Int(ref)] }

    public func forEachProfile(of ref: UInt32, in range: TimeRange, _ body: (Int64, Int64, UInt64) -> Void) {
        for row in profiles(of: ref, in: range.closed) { body(profileTimeNanos(row), profileTotalValue(row), profileSpanID(row)) }
    }

    public func addSamples(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals) async throws -> Bool {
        let rows = profileRows(of: refs, in: range, spans: spans)
        guard !rows.isEmpty else { return false }
        try await addSamples(ofRows: rows, to: &totals)
        return true
    }

    /// Rows of the profiles of `refs` in `range` (and of a span of `spans`, when given), ascending.
    func profileRows(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?) -> [Int] {
        var rows: [Int] = []
        for ref in refs {
            let r = profiles(of: ref, in: range.closed)
            if spans == nil { rows += r } else { rows += r.filter { spans.keeps(profileSpanID($0)) } }
        }
        return rows.sorted()
    }

    /// Adds the samples of profile `rows` (ascending) to `totals`.
    func addSamples(
        ofRows rows: [Int], to totals: inout StackTotals, checkpoint: () throws -> Void = {}
    ) async throws {
        try await forEachSampleRun(profiles: rows, checkpoint: checkpoint) { stacks, values in totals.add(stacks: stacks, values: values) }
    }

    /// The selected profiles in pieces of at least `samplesPerPiece`
    /// samples (the last one smaller), in row order.
    public func mergePieces(of refs: [UInt32], in range: TimeRange, spans: SpanSelector?, samplesPerPiece: Int) -> (
        pieces: [MergePiece], samples: Int
    ) {
        var pieces: [MergePiece] = []
        var piece: [Int] = []
        var pieceSamples = 0
        var samples = 0
        for row in profileRows(of: refs, in: range, spans: spans) {
            piece.append(row)
            pieceSamples += sampleCount(ofProfile: row)
            samples += sampleCount(ofProfile: row)
            if pieceSamples >= samplesPerPiece {
                pieces.append(.profiles(piece))
                (piece, pieceSamples) = ([], 0)
            }
        }
        if !piece.isEmpty { pieces.append(.profiles(piece)) }
        return (pieces, samples)
    }

    public func addSamples(
        of piece: MergePiece, refs: [UInt32], in range: TimeRange, spans: SpanSelector?, to totals: inout StackTotals,
        checkpoint: () throws -> Void
    ) async throws -> Bool {
        switch piece {
        case .all:
            return try await addSamples(of: refs, in: range, spans: spans, to: &totals)
        case .profiles(let rows):
            try await addSamples(ofRows: rows, to: &totals, checkpoint: checkpoint)
            return true
        }
    }

    /// Its index, profile and symbol files, whatever the selection.
    public func footprint(samples: Int) -> SourceFootprint {
        func size(_ name: String) -> Int { meta.files.first { $0.name == name }?.size ?? 0 }
        return SourceFootprint(
            tier: .block, indexBytes: size(BlockSchema.indexFile), profileBytes: size(BlockSchema.profilesFile),
            symbolBytes: size(BlockSchema.symbolsFile), blockSpan: meta.minTimeNanos...max(meta.minTimeNanos, meta.maxTimeNanos))
    }

    public var timeBounds: ClosedRange<Int64>? {
        meta.stats.profiles > 0 ? meta.minTimeNanos...max(meta.minTimeNanos, meta.maxTimeNanos) : nil
    }
}

extension Optional where Wrapped == SpanSelector {
    /// Whether a profile with span `id` is kept: always without a selector.
    @inline(__always)
    func keeps(_ id: UInt64) -> Bool {
        guard let s = self else { return true }
        return s.contains(id)
    }
}
