import KilnModel
import KilnStorage

/// What a querier asks each ingester for, once per source walk of a query:
/// the series `selector` matches with data in `range`, in as much detail as
/// the query needs.
///
/// The ingester answers from every source it holds that the querier does not
/// read itself (see `RemoteHeads`), one `HeadExtract` per source.
public struct HeadRequest: Sendable, Equatable {
    /// How much of each selected series an extract carries; each level
    /// includes the ones before it, except `samples`, which carries only the
    /// merged stacks (a merge needs nothing else).
    public enum Detail: Int, Sendable, Comparable {
        /// The earliest and latest profile time only (`GetProfileStats`).
        case bounds
        /// The labels of the series with a profile in range (label APIs, profile types).
        case labels
        /// And each profile's time, total and span (time series, heatmaps, analysis).
        case profiles
        /// Per-stack totals of the selected profiles with the symbols they
        /// need (flame graphs, pprof merges, diffs).
        case samples

        public static func < (a: Detail, b: Detail) -> Bool { a.rawValue < b.rawValue }
    }

    public var selector: LabelSelector
    public var range: TimeRange
    /// Keep only the profiles of these spans (`SelectMergeSpanProfile`).
    public var spans: SpanSelector?
    public var detail: Detail

    public init(selector: LabelSelector, range: TimeRange, spans: SpanSelector? = nil, detail: Detail) {
        self.selector = selector
        self.range = range
        self.spans = spans
        self.detail = detail
    }

    public static func == (a: HeadRequest, b: HeadRequest) -> Bool {
        a.selector.description == b.selector.description && a.range == b.range && a.spans == b.spans && a.detail == b.detail
    }
}

/// What the ingesters answered to one `HeadRequest`.
public struct RemoteAnswer: Sendable {
    public var extracts: [HeadExtract]
    /// An ingester holds a shipped block the querier did not name: its view
    /// of the bucket is older than the ingester's, and the answer would miss
    /// that block (or count its sources and it twice). The query re-lists the
    /// bucket and asks again.
    public var stale: Bool

    public init(extracts: [HeadExtract], stale: Bool) {
        self.extracts = extracts
        self.stale = stale
    }
}

/// Where a querier process gets the data it does not read from the bucket:
/// the heads (live and being cut) and the not yet shipped blocks of the
/// ingesters it is configured with.
///
/// The contract that prevents double counting: the querier names every
/// block it will read itself (`knownBlocks`, ULIDs); an ingester leaves those
/// out, answers for its heads and for its blocks that are in no bucket yet,
/// and reports `stale` when it holds a shipped block not named (a block the
/// querier has not listed yet, such as a fresh compaction of named ones).
public protocol RemoteHeads: Sendable {
    /// Every ingester's extracts for `request` for this tenant; throws when
    /// one cannot answer (an answer without it would silently miss its data).
    func extracts(_ request: HeadRequest, knownBlocks: [String], budget: QueryBudget) async throws -> RemoteAnswer
    /// Re-lists the bucket's blocks into the querier's view (after a stale
    /// answer) and returns this tenant's blocks as now listed.
    func refreshBlocks() async throws -> [Block]
}
