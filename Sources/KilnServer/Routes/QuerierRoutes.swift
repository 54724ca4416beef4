import Foundation
import HTTPTypes
import Hummingbird
import KilnHead
import KilnModel
import KilnPprof
import KilnProto
import KilnQuery
import KilnStorage
import Logging
import SwiftProtobuf

/// `querier.v1.QuerierService`, the Connect service Grafana's Pyroscope data
/// source calls (shared/reference/pyroscope-api.md §2, §8).
///
/// Every method answers 200 with an empty result when the tenant has no data,
/// and 503 (`unavailable`) when blocks it needs are in a bucket that cannot
/// be read now, rather than an answer without them.
struct QuerierRoutes: Sendable {
    static let prefix = "/querier.v1.QuerierService/"

    let catalog: any QueryCatalog
    let connect: ConnectUnary
    let config: ServerConfig
    let logger: Logger

    func register(on router: Router<KilnRequestContext>) {
        route(router, "ProfileTypes", Querier_V1_ProfileTypesRequest.self, profileTypes)
        route(router, "LabelNames", Types_V1_LabelNamesRequest.self, labelNames)
        route(router, "LabelValues", Types_V1_LabelValuesRequest.self, labelValues)
        route(router, "Series", Querier_V1_SeriesRequest.self, series)
        route(router, "SelectMergeStacktraces", Querier_V1_SelectMergeStacktracesRequest.self, selectMergeStacktraces)
        route(router, "SelectMergeProfile", Querier_V1_SelectMergeProfileRequest.self, selectMergeProfile)
        route(router, "Diff", Querier_V1_DiffRequest.self, diff)
        route(router, "AnalyzeQuery", Querier_V1_AnalyzeQueryRequest.self, analyzeQuery)
        route(router, "SelectSeries", Querier_V1_SelectSeriesRequest.self, selectSeries)
        route(router, "GetProfileStats", Types_V1_GetProfileStatsRequest.self, profileStats)
        route(router, "SelectMergeSpanProfile", Querier_V1_SelectMergeSpanProfileRequest.self, selectMergeSpanProfile)
        route(router, "SelectHeatmap", Querier_V1_SelectHeatmapRequest.self, selectHeatmap)
    }

    private func route<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(
        _ router: Router<KilnRequestContext>, _ method: String, _ type: Req.Type,
        _ handler: @escaping @Sendable (Req, Query) async throws -> Res
    ) {
        let runner = QueryRunner(catalog: catalog, config: config, logger: logger)
        router.post(RouterPath(Self.prefix + method)) { [connect] request, context in
            await connect.serve(request, type) { message, tenant in
                try await runner.run(tenant: tenant, timeout: try Self.timeout(request), channel: context.channel) { query in
                    try await handler(message, query)
                }
            }
        }
    }

    /// The client's `Connect-Timeout-Ms` (at most 10 digits, Connect's rule), if it sent one.
    static func timeout(_ request: Request) throws -> Duration? {
        guard let text = request.headers[HTTPField.Name("Connect-Timeout-Ms")!] else { return nil }
        guard text.count <= 10, let ms = Int64(text), ms > 0 else {
            throw ConnectError(.invalidArgument, "Connect-Timeout-Ms must be a positive integer of at most 10 digits, got \"\(text)\"")
        }
        return .milliseconds(ms)
    }

    // MARK: - Methods

    /// `ProfileTypes`: any range, as Pyroscope (none, or negative times: all of them).
    func profileTypes(_ r: Querier_V1_ProfileTypesRequest, _ query: Query) async throws -> Querier_V1_ProfileTypesResponse {
        let range = try Self.range(max(r.start, 0), max(r.end, 0), required: false)
        var out = Querier_V1_ProfileTypesResponse()
        let types = try await query.profileTypes(range: range)
        out.profileTypes = types.map { t in
            var p = Types_V1_ProfileType()
            p.id = t.id
            p.name = t.name
            p.sampleType = t.sampleType
            p.sampleUnit = t.sampleUnit
            p.periodType = t.periodType
            p.periodUnit = t.periodUnit
            return p
        }
        return out
    }

    func labelNames(_ r: Types_V1_LabelNamesRequest, _ query: Query) async throws -> Types_V1_LabelNamesResponse {
        let range = try Self.range(r.start, r.end)
        let selector = try Self.selector(r.matchers)
        var out = Types_V1_LabelNamesResponse()
        out.names = try await query.labelNames(selector: selector, range: range)
        return out
    }

    func labelValues(_ r: Types_V1_LabelValuesRequest, _ query: Query) async throws -> Types_V1_LabelValuesResponse {
        guard !r.name.isEmpty else { throw ConnectError(.invalidArgument, "name is required") }
        let range = try Self.range(r.start, r.end)
        let selector = try Self.selector(r.matchers)
        var out = Types_V1_LabelValuesResponse()
        out.names = try await query.labelValues(name: r.name, selector: selector, range: range)
        return out
    }

    func series(_ r: Querier_V1_SeriesRequest, _ query: Query) async throws -> Querier_V1_SeriesResponse {
        let range = try Self.range(r.start, r.end)
        let selector = try Self.selector(r.matchers)
        var out = Querier_V1_SeriesResponse()
        let sets = try await query.series(selector: selector, labelNames: r.labelNames, range: range)
        out.labelsSet = sets.map { set in
            var l = Types_V1_Labels()
            l.labels = Self.pairs(set)
            return l
        }
        return out
    }

    func selectMergeStacktraces(_ r: Querier_V1_SelectMergeStacktracesRequest, _ query: Query) async throws
        -> Querier_V1_SelectMergeStacktracesResponse
    {
        let type = try Self.profileType(r.profileTypeID)
        let selector = try Self.labelSelector(r.labelSelector)
        let range = try Self.sampleRange(r.start, r.end, query)
        let maxNodes = try Self.maxNodes(r.hasMaxNodes ? r.maxNodes : 0)
        try Self.requireFlameGraphOrTree(r.format)
        try Self.rejectUnsupportedFilters(profileIDs: r.profileIDSelector, traceIDs: r.traceIDSelector, spans: [])
        let callSite = try Self.callSite(r.hasStackTraceSelector, r.stackTraceSelector)
        let spans = r.spanSelector.isEmpty ? nil : try Self.spans(r.spanSelector)
        var out = Querier_V1_SelectMergeStacktracesResponse()
        if r.format == .tree {
            let tree = try await query.mergeTree(profileType: type, selector: selector, range: range, callSite: callSite, spans: spans)
            out.tree = Data(tree.pyroscopeTreeBytes(maxNodes: maxNodes))
            return out
        }
        let graph = try await query.mergeStacktraces(
            profileType: type, selector: selector, range: range, maxNodes: maxNodes, callSite: callSite, spans: spans)
        out.flamegraph = Self.flameGraph(graph)
        return out
    }

    /// `SelectMergeSpanProfile`: the flame graph of the samples whose
    /// `span_id` is in `span_selector` (§2.7); an empty selector keeps nothing.
    func selectMergeSpanProfile(_ r: Querier_V1_SelectMergeSpanProfileRequest, _ query: Query) async throws
        -> Querier_V1_SelectMergeSpanProfileResponse
    {
        let type = try Self.profileType(r.profileTypeID)
        let selector = try Self.labelSelector(r.labelSelector)
        let range = try Self.sampleRange(r.start, r.end, query)
        let maxNodes = try Self.maxNodes(r.hasMaxNodes ? r.maxNodes : 0)
        try Self.requireFlameGraphOrTree(r.format)
        var out = Querier_V1_SelectMergeSpanProfileResponse()
        if r.format == .tree {
            let tree = try await query.mergeTree(profileType: type, selector: selector, range: range, spans: try Self.spans(r.spanSelector))
            out.tree = Data(tree.pyroscopeTreeBytes(maxNodes: maxNodes))
            return out
        }
        let graph = try await query.mergeStacktraces(
            profileType: type, selector: selector, range: range, maxNodes: maxNodes,
            spans: try Self.spans(r.spanSelector))
        out.flamegraph = Self.flameGraph(graph)
        return out
    }

    /// `Diff`: two flame-graph queries of one profile type, aligned (§2.11); their `format` is ignored.
    func diff(_ r: Querier_V1_DiffRequest, _ query: Query) async throws -> Querier_V1_DiffResponse {
        guard r.hasLeft, r.hasRight else { throw ConnectError(.invalidArgument, "left and right are required") }
        let type = try Self.profileType(r.left.profileTypeID)
        guard try Self.profileType(r.right.profileTypeID) == type else {
            throw ConnectError(
                .invalidArgument, "left and right must query the same profile type (\(r.left.profileTypeID) vs \(r.right.profileTypeID))")
        }
        for side in [r.left, r.right] {
            try Self.rejectUnsupportedFilters(
                profileIDs: side.profileIDSelector, traceIDs: side.traceIDSelector, spans: side.spanSelector)
        }
        let maxNodes = try Self.maxNodes(max(r.left.hasMaxNodes ? r.left.maxNodes : 0, r.right.hasMaxNodes ? r.right.maxNodes : 0))
        let d = try await query.diff(
            profileType: type,
            left: (
                try Self.labelSelector(r.left.labelSelector), try Self.sampleRange(r.left.start, r.left.end, query),
                try Self.callSite(r.left.hasStackTraceSelector, r.left.stackTraceSelector)
            ),
            right: (
                try Self.labelSelector(r.right.labelSelector), try Self.sampleRange(r.right.start, r.right.end, query),
                try Self.callSite(r.right.hasStackTraceSelector, r.right.stackTraceSelector)
            ),
            maxNodes: maxNodes)
        var out = Querier_V1_DiffResponse()
        out.flamegraph.names = d.names
        out.flamegraph.levels = d.levels.map { values in
            var l = Querier_V1_Level()
            l.values = values
            return l
        }
        out.flamegraph.total = d.total
        out.flamegraph.maxSelf = d.maxSelf
        out.flamegraph.leftTicks = d.leftTicks
        out.flamegraph.rightTicks = d.rightTicks
        return out
    }

    /// `AnalyzeQuery`: what a query would read, per storage scope (§2.12). The
    /// query is a selector, optionally prefixed by a profile type ID.
    func analyzeQuery(_ r: Querier_V1_AnalyzeQueryRequest, _ query: Query) async throws -> Querier_V1_AnalyzeQueryResponse {
        let range = try Self.range(r.start, r.end)
        var (typeText, selector) = try Self.splitQuery(r.query)
        if !typeText.isEmpty { selector = Query.typed(selector, try Self.profileType(typeText)) }
        let a = try await query.analyze(selector: selector, range: range)
        var out = Querier_V1_AnalyzeQueryResponse()
        out.queryScopes = a.scopes.map { s in
            var q = Querier_V1_QueryScope()
            q.componentType = s.component
            q.componentCount = UInt64(s.components)
            q.blockCount = UInt64(s.blocks)
            q.seriesCount = UInt64(s.series)
            q.profileCount = UInt64(s.profiles)
            q.sampleCount = UInt64(s.samples)
            q.indexBytes = UInt64(s.indexBytes)
            q.profileBytes = UInt64(s.profileBytes)
            q.symbolBytes = UInt64(s.symbolBytes)
            return q
        }
        out.queryImpact.totalBytesInTimeRange = UInt64(a.totalBytes)
        out.queryImpact.totalQueriedSeries = UInt64(a.totalSeries)
        out.queryImpact.deduplicationNeeded = a.deduplicationNeeded
        return out
    }

    /// `SelectMergeProfile`: the merged profile as pprof (shared/reference/pyroscope-api.md §2.8).
    /// `max_nodes` is not enforced, as in Pyroscope without its tenant limit.
    func selectMergeProfile(_ r: Querier_V1_SelectMergeProfileRequest, _ query: Query) async throws -> Google_V1_Profile {
        let type = try Self.profileType(r.profileTypeID)
        let selector = try Self.labelSelector(r.labelSelector)
        let range = try Self.sampleRange(r.start, r.end, query)
        try Self.rejectUnsupportedFilters(profileIDs: r.profileIDSelector, traceIDs: r.traceIDSelector, spans: [])
        let profile = try await query.mergeProfile(
            profileType: type, selector: selector, range: range,
            callSite: try Self.callSite(r.hasStackTraceSelector, r.stackTraceSelector))
        return try Google_V1_Profile(serializedBytes: PprofEncoder.encode(profile))
    }

    func selectSeries(_ r: Querier_V1_SelectSeriesRequest, _ query: Query) async throws -> Querier_V1_SelectSeriesResponse {
        let type = try Self.profileType(r.profileTypeID)
        let selector = try Self.labelSelector(r.labelSelector)
        _ = try Self.sampleRange(r.start, r.end, query)
        var q = TimeSeriesQuery(
            profileType: type, selector: selector, startMs: r.start, endMs: r.end,
            stepMs: try Self.stepMs(r.step), groupBy: r.groupBy,
            aggregation: r.hasAggregation && r.aggregation == .average ? .average : .sum,
            limit: r.hasLimit ? Int(clamping: r.limit) : nil)
        q.callSite = try Self.callSite(r.hasStackTraceSelector, r.stackTraceSelector)
        let series = try await query.selectSeries(q)
        var out = Querier_V1_SelectSeriesResponse()
        out.series = series.map { s in
            var ts = Types_V1_Series()
            ts.labels = Self.pairs(s.labels)
            ts.points = s.points.map { p in
                var point = Types_V1_Point()
                point.timestamp = p.timestampMs
                point.value = p.value
                return point
            }
            return ts
        }
        return out
    }
    /// `SelectHeatmap`: per group and slot, a histogram of profile totals
    /// (`INDIVIDUAL`, the default) or span totals (`SPAN`) (§2.10). With
    /// exemplars asked for, each slot carries its largest value as one, with
    /// its span id for `SPAN` (profile UUIDs are not stored).
    func selectHeatmap(_ r: Querier_V1_SelectHeatmapRequest, _ query: Query) async throws -> Querier_V1_SelectHeatmapResponse {
        _ = try Self.sampleRange(r.start, r.end, query)
        let q = HeatmapQuery(
            profileType: try Self.profileType(r.profileTypeID), selector: try Self.selector([r.labelSelector]),
            startMs: r.start, endMs: r.end,
            stepMs: try Self.stepMs(r.step), groupBy: r.groupBy, unit: r.queryType == .span ? .span : .profile,
            limit: r.hasLimit ? Int(clamping: r.limit) : nil)
        let exemplars = r.exemplarType == .individual || r.exemplarType == .span
        var out = Querier_V1_SelectHeatmapResponse()
        out.series = try await query.selectHeatmap(q).map { h in
            var series = Types_V1_HeatmapSeries()
            series.labels = Self.pairs(h.labels)
            series.slots = h.slots.map { s in
                var slot = Types_V1_HeatmapSlot()
                slot.timestamp = s.timestampMs
                slot.yMin = s.yMin
                slot.counts = s.counts
                if exemplars {
                    var e = Types_V1_Exemplar()
                    e.timestamp = s.timestampMs
                    e.value = s.top.value
                    if s.top.span != 0 { e.spanID = SpanID.format(s.top.span) }
                    slot.exemplars = [e]
                }
                return slot
            }
            return series
        }
        return out
    }

    func profileStats(_: Types_V1_GetProfileStatsRequest, _ query: Query) async throws -> Types_V1_GetProfileStatsResponse {
        var out = Types_V1_GetProfileStatsResponse()
        let stats = try await query.stats()
        if stats.ingested {
            out.dataIngested = true
            out.oldestProfileTime = stats.oldestMs
            out.newestProfileTime = stats.newestMs
        }
        return out
    }

    // MARK: - Request validation and conversion

    /// Largest time or step accepted, in ms (year 33658): far beyond any
    /// profile, small enough that bucket arithmetic cannot overflow.
    static let maxTimeMs: Int64 = 1_000_000_000_000_000

    /// `start`…`end` in Unix milliseconds, as Pyroscope checks them.
    /// - Parameter required: a request without a time range (both 0) is
    ///   refused (every method but `ProfileTypes`); otherwise end 0 is "no end".
    static func range(_ start: Int64, _ end: Int64, required: Bool = true) throws -> TimeRange {
        if required && start == 0 && end == 0 {
            throw ConnectError(.invalidArgument, "no time range: start and end (Unix milliseconds) are required")
        }
        guard (0...maxTimeMs).contains(start), (0...maxTimeMs).contains(end) else {
            throw ConnectError(.invalidArgument, "start and end must be Unix milliseconds between 0 and \(maxTimeMs)")
        }
        guard end == 0 || start <= end else {
            throw ConnectError(.invalidArgument, "start (\(start)) must not be after end (\(end)); both are Unix milliseconds")
        }
        return .milliseconds(start, end)
    }

    /// `range`, for a query that reads samples: also within the tenant's `max_query_length`.
    static func sampleRange(_ start: Int64, _ end: Int64, _ query: Query) throws -> TimeRange {
        let r = try range(start, end)
        try query.budget.checkRange(r)
        return r
    }

    /// A query method's `label_selector`: required (`{}` selects everything), as Pyroscope.
    static func labelSelector(_ text: String) throws -> LabelSelector {
        guard !text.isEmpty else { throw ConnectError(.invalidArgument, "label_selector is required; {} selects every series") }
        return try selector([text])
    }

    static func selector(_ texts: [String]) throws -> LabelSelector {
        do { return try LabelSelector(parsingAll: texts) } catch { throw ConnectError(.invalidArgument, error.description) }
    }

    /// `<profile type>{matchers}` as the legacy, Parca and AnalyzeQuery APIs
    /// write a query: the text before `{` (trimmed, possibly empty; callers
    /// decide whether a type is required) and the selector (`{}` when absent).
    static func splitQuery(_ text: String) throws -> (type: String, selector: LabelSelector) {
        let brace = text.firstIndex(of: "{") ?? text.endIndex
        return (text[..<brace].trimmingCharacters(in: .whitespaces), try selector([brace == text.endIndex ? "{}" : String(text[brace...])]))
    }

    static func profileType(_ id: String) throws -> ProfileTypeID {
        do { return try ProfileTypeID(parsing: id) } catch { throw ConnectError(.invalidArgument, error.description) }
    }

    /// `max_nodes`: 0 → the default; negative or above `FlameGraph.maxMaxNodes` → error.
    static func maxNodes(_ n: Int64) throws -> Int64 {
        guard n >= 0, n <= FlameGraph.maxMaxNodes else {
            throw ConnectError(.invalidArgument, "max_nodes must be between 0 and \(FlameGraph.maxMaxNodes), got \(n)")
        }
        return n == 0 ? FlameGraph.defaultMaxNodes : n
    }

    /// A `step` in seconds, as milliseconds: at least 1 ms, at most the time range's bound.
    static func stepMs(_ step: Double) throws -> Int64 {
        guard step >= 0.001 else { throw ConnectError(.invalidArgument, "step must be >= 1ms") }
        guard step * 1000 <= Double(Self.maxTimeMs) else {
            throw ConnectError(.invalidArgument, "step must be at most \(Self.maxTimeMs / 1000) seconds")
        }
        return max(1, Int64((step * 1000).rounded()))
    }

    /// Flame graphs and Pyroscope's tree encoding are produced (`dot` is not).
    static func requireFlameGraphOrTree(_ format: Querier_V1_ProfileFormat) throws {
        switch format {
        case .unspecified, .flamegraph, .tree: return
        default: throw ConnectError(.unimplemented, "format \(format) is not supported; use PROFILE_FORMAT_FLAMEGRAPH or PROFILE_FORMAT_TREE")
        }
    }

    /// A `span_selector`: span ids of 16 hex digits.
    static func spans(_ texts: [String]) throws -> SpanSelector {
        do { return try SpanSelector(parsing: texts) } catch { throw ConnectError(.invalidArgument, "span_selector: \(error)") }
    }

    /// The `call_site` prefix of a stack-trace selector; `go_pgo` is not supported.
    static func callSite(_ has: Bool, _ selector: Types_V1_StackTraceSelector) throws -> CallSiteFilter {
        guard has else { return CallSiteFilter() }
        guard !selector.hasGoPgo else {
            throw ConnectError(.invalidArgument, "stack_trace_selector.go_pgo is not supported by Kiln; send call_site only")
        }
        return CallSiteFilter(selector.callSite.map(\.name))
    }

    /// Filters the engine cannot apply yet: refusing them beats answering as if they were absent.
    static func rejectUnsupportedFilters(profileIDs: [String], traceIDs: [String], spans: [String]) throws {
        let unsupported = [
            profileIDs.isEmpty ? nil : "profile_id_selector",
            traceIDs.isEmpty ? nil : "trace_id_selector",
            spans.isEmpty ? nil : "span_selector",
        ].compactMap { $0 }
        guard unsupported.isEmpty else {
            throw ConnectError(.unimplemented, "\(unsupported.joined(separator: ", ")) is not supported yet")
        }
    }

    static func pairs(_ set: LabelSet) -> [Types_V1_LabelPair] {
        set.labels.map { l in
            var p = Types_V1_LabelPair()
            p.name = l.name
            p.value = l.value
            return p
        }
    }

    static func flameGraph(_ g: FlameGraph) -> Querier_V1_FlameGraph {
        var out = Querier_V1_FlameGraph()
        out.names = g.names
        out.levels = g.levels.map { values in
            var l = Querier_V1_Level()
            l.values = values
            return l
        }
        out.total = g.total
        out.maxSelf = g.maxSelf
        return out
    }
}
