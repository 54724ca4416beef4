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
    /// At `labels` detail: only these labels of each series are wanted, so
    /// an extract carries the distinct projections (the 4 profile types of
    /// 1600 series, not 1600 label sets); nil: every label.
    public var labelNames: [String]?

    public init(selector: LabelSelector, range: TimeRange, spans: SpanSelector? = nil, detail: Detail, labelNames: [String]? = nil) {
        self.selector = selector
        self.range = range
        self.spans = spans
        self.detail = detail
        self.labelNames = labelNames
    }

    public static func == (a: HeadRequest, b: HeadRequest) -> Bool {
        a.selector.description == b.selector.description && a.range == b.range && a.spans == b.spans && a.detail == b.detail
            && a.labelNames == b.labelNames
    }
}

/// What the ingesters answered to one `HeadRequest`.
public struct RemoteAnswer: Sendable {
    public var extracts: [HeadExtract]
    /// Shipped blocks an ingester holds that the querier did not name (nor
    /// any block compacted from them): its view of the bucket is older than
    /// the ingester's, and the answer would miss them (`Query.relistingOnce`
    /// re-lists the bucket and runs the query again).
    public var staleBlocks: [String]

    public init(extracts: [HeadExtract], staleBlocks: [String] = []) {
        self.extracts = extracts
        self.staleBlocks = staleBlocks
    }
}

/// Where a querier process gets the data it does not read from the bucket:
/// the heads (live and being cut) and the not yet shipped blocks of the
/// ingesters it is configured with.
///
/// The contract that prevents double counting: the querier names every
/// block it will read itself (`knownBlocks`, ULIDs) and the blocks those
/// were compacted from (`coveredBlocks`); an ingester leaves both out,
/// answers for its heads and for its blocks that are in no bucket yet, and
/// names the shipped blocks it holds that are neither (`staleBlocks`: blocks
/// the querier has not listed yet, such as a fresh compaction of named ones).
public protocol RemoteHeads: Sendable {
    /// Every ingester's extracts for `request` for this tenant; throws when
    /// one cannot answer (an answer without it would silently miss its data).
    func extracts(_ request: HeadRequest, knownBlocks: [String], coveredBlocks: [String], budget: QueryBudget) async throws -> RemoteAnswer
}
