import Foundation
import HTTPTypes
import Hummingbird
import KilnArrow
import KilnCompression
import KilnHead
import KilnModel
import KilnPprof
import KilnProto
import KilnQuery
import KilnStorage
import Logging
import SwiftProtobuf

/// `parca.query.v1alpha1.QueryService` over gRPC-Web, what Grafana's Parca
/// data source calls (shared/reference/parca-api.md §1-3): `ProfileTypes`,
/// `Labels`, `Values`, `QueryRange` and `Query` (merge, as an Arrow flame
/// graph or pprof), on the standard procedure paths with up to two leading
/// path segments (`/api/…`, a reverse proxy's prefix). Other methods of the
/// service answer `unimplemented` (12).
///
/// Parca names a profile type `name:sample_type:sample_unit:period_type:period_unit`
/// plus `:delta` for delta profiles; Kiln's types are the same five parts,
/// and CPU and wall-clock types (period type `cpu`, or names `process_cpu`
/// and `wall`) are the delta ones.
struct ParcaRoutes: Sendable {
    static let service = "parca.query.v1alpha1.QueryService"
    static let methods = ["ProfileTypes", "Labels", "Values", "QueryRange", "Query"]

    let catalog: any QueryCatalog
    let connect: ConnectUnary
    let config: ServerConfig
    let logger: Logger

    func register(on router: Router<KilnRequestContext>) {
        let runner = QueryRunner(catalog: catalog, config: config, logger: logger)
        // The router does not backtrack from a literal segment to a wildcard, so `/api`
        // (also the start of the legacy `/api/apps`) is registered by name.
        for prefix in ["", "/api", "/*", "/*/*"] {
            router.post(RouterPath(prefix + "/" + Self.service + "/:method")) { [connect] request, context in
                let method = context.parameters.get("method") ?? ""
                switch method {
                case "ProfileTypes": return await serve(request, context, Parca_Query_V1alpha1_ProfileTypesRequest.self, runner, profileTypes)
                case "Labels": return await serve(request, context, Parca_Query_V1alpha1_LabelsRequest.self, runner, labels)
                case "Values": return await serve(request, context, Parca_Query_V1alpha1_ValuesRequest.self, runner, values)
                case "QueryRange": return await serve(request, context, Parca_Query_V1alpha1_QueryRangeRequest.self, runner, queryRange)
                case "Query": return await serve(request, context, Parca_Query_V1alpha1_QueryRequest.self, runner, query)
                default:
                    return await connect.serve(request, Google_Protobuf_Empty.self) { (_, _) throws -> Google_Protobuf_Empty in
                        throw ConnectError(.unimplemented, "\(Self.service)/\(method) is not implemented by Kiln")
                    }
                }
            }
        }
    }

    private func serve<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(
        _ request: Request, _ context: KilnRequestContext, _ type: Req.Type, _ runner: QueryRunner,
        _ handler: @escaping @Sendable (Req, Query) async throws -> Res
    ) async -> Response {
        await connect.serve(request, type) { message, tenant in
            try await runner.run(tenant: tenant, timeout: try Self.timeout(request), channel: context.channel) { query in
                try await handler(message, query)
            }
        }
    }

    /// `Grpc-Timeout`: up to 8 digits and a unit (`n u m S M H`).
    static func timeout(_ request: Request) throws -> Duration? {
        guard let text = request.headers[HTTPField.Name("Grpc-Timeout")!] else { return nil }
        guard let unit = text.last, let n = Int64(text.dropLast()), n > 0, text.count <= 9 else {
            throw ConnectError(.invalidArgument, "Grpc-Timeout \"\(text)\" is not up to 8 digits and a unit")
        }
        switch unit {
        case "n": return .nanoseconds(n)
        case "u": return .microseconds(n)
        case "m": return .milliseconds(n)
        case "S": return .seconds(n)
        case "M": return .seconds(n * 60)
        case "H": return .seconds(n * 3600)
        default: throw ConnectError(.invalidArgument, "Grpc-Timeout \"\(text)\" has an unknown unit")
        }
    }

    // MARK: - Profile types and queries

    static func isDelta(_ t: ProfileTypeID) -> Bool { t.periodType == "cpu" || t.name == "process_cpu" || t.name == "wall" }

    /// `<type>[:delta]{matchers}` → Kiln's type and the selector.
    static func parseQuery(_ text: String) throws -> (ProfileTypeID, LabelSelector) {
        var (id, selector) = try QuerierRoutes.splitQuery(text)
        guard !id.isEmpty else { throw ConnectError(.invalidArgument, "query must contain a profile-type selection") }
        if id.hasSuffix(":delta") { id.removeLast(":delta".count) }
        let type: ProfileTypeID
        do { type = try ProfileTypeID(parsing: id) } catch {
            throw ConnectError(.invalidArgument, "profile type \(id) is not name:sample_type:sample_unit:period_type:period_unit[:delta]")
        }
        return (type, selector)
    }

    /// A request's time range: no filter when both ends are unset (Parca's rule).
    static func range(_ hasStart: Bool, _ start: Google_Protobuf_Timestamp, _ hasEnd: Bool, _ end: Google_Protobuf_Timestamp) -> TimeRange {
        let s = hasStart ? start.seconds * 1000 + Int64(start.nanos / 1_000_000) : 0
        let e = hasEnd ? end.seconds * 1000 + Int64(end.nanos / 1_000_000) : 0
        return s == 0 && e == 0 ? .all : .milliseconds(s, e)
    }

    func profileTypes(_ r: Parca_Query_V1alpha1_ProfileTypesRequest, _ query: Query) async throws -> Parca_Query_V1alpha1_ProfileTypesResponse {
        var out = Parca_Query_V1alpha1_ProfileTypesResponse()
        out.types = try await query.profileTypes(range: Self.range(r.hasStart, r.start, r.hasEnd, r.end)).map { t in
            var p = Parca_Query_V1alpha1_ProfileType()
            (p.name, p.sampleType, p.sampleUnit, p.periodType, p.periodUnit) = (t.name, t.sampleType, t.sampleUnit, t.periodType, t.periodUnit)
            p.delta = Self.isDelta(t)
            return p
        }
        return out
    }

    func labels(_ r: Parca_Query_V1alpha1_LabelsRequest, _ query: Query) async throws -> Parca_Query_V1alpha1_LabelsResponse {
        var selector = try QuerierRoutes.selector(r.match.isEmpty ? ["{}"] : ["{" + r.match.joined(separator: ",") + "}"])
        if r.hasProfileType { selector = Query.typed(selector, try Self.parseQuery(r.profileType).0) }
        var out = Parca_Query_V1alpha1_LabelsResponse()
        out.labelNames = try await query.labelNames(selector: selector, range: Self.range(r.hasStart, r.start, r.hasEnd, r.end))
            .filter { !($0.hasPrefix("__") && $0.hasSuffix("__")) }
        return out
    }

    func values(_ r: Parca_Query_V1alpha1_ValuesRequest, _ query: Query) async throws -> Parca_Query_V1alpha1_ValuesResponse {
        guard !r.labelName.isEmpty else { throw ConnectError(.invalidArgument, "label_name is required") }
        let selector = r.hasProfileType ? Query.typed(LabelSelector(), try Self.parseQuery(r.profileType).0) : LabelSelector()
        var out = Parca_Query_V1alpha1_ValuesResponse()
        out.labelValues = try await query.labelValues(name: r.labelName, selector: selector, range: Self.range(r.hasStart, r.start, r.hasEnd, r.end))
        return out
    }

    /// One series per label set; with no `step` (Grafana sends none), the
    /// range over `limit` points (default 1 500), at least 15 s.
    func queryRange(_ r: Parca_Query_V1alpha1_QueryRangeRequest, _ query: Query) async throws -> Parca_Query_V1alpha1_QueryRangeResponse {
        let (type, selector) = try Self.parseQuery(r.query)
        guard r.hasStart, r.hasEnd else { throw ConnectError(.invalidArgument, "start and end are required") }
        let startMs = r.start.seconds * 1000 + Int64(r.start.nanos / 1_000_000)
        let endMs = r.end.seconds * 1000 + Int64(r.end.nanos / 1_000_000)
        guard endMs > startMs else { throw ConnectError(.invalidArgument, "end must be after start") }
        let requested = r.hasStep ? r.step.seconds * 1000 + Int64(r.step.nanos / 1_000_000) : 0
        let stepMs = requested > 0 ? requested : max((endMs - startMs) / Int64(r.limit > 0 ? r.limit : 1500), 15_000)
        let range = TimeRange.milliseconds(startMs, endMs)
        try query.budget.checkRange(range)
        let names =
            r.sumBy.isEmpty
            ? try await query.labelNames(selector: Query.typed(selector, type), range: range).filter { !($0.hasPrefix("__") && $0.hasSuffix("__")) }
            : r.sumBy
        let series = try await query.selectSeries(
            TimeSeriesQuery(
                profileType: type, selector: selector, startMs: startMs, endMs: endMs,
                stepMs: stepMs, groupBy: names))
        var out = Parca_Query_V1alpha1_QueryRangeResponse()
        out.series = series.map { s in
            var m = Parca_Query_V1alpha1_MetricsSeries()
            m.labelset.labels = s.labels.labels.filter { !$0.value.isEmpty }.map { l in
                var p = Parca_Profilestore_V1alpha1_Label()
                (p.name, p.value) = (l.name, l.value)
                return p
            }
            m.samples = s.points.map { p in
                var x = Parca_Query_V1alpha1_MetricsSample()
                x.timestamp = Google_Protobuf_Timestamp(seconds: p.timestampMs / 1000, nanos: Int32(p.timestampMs % 1000) * 1_000_000)
                x.value = Int64(p.value.rounded())
                x.duration = stepMs * 1_000_000
                x.valuePerSecond = p.value / (Double(stepMs) / 1000)
                x.count = 1
                return x
            }
            if Self.isDelta(type) {
                (m.sampleType.type, m.sampleType.unit) = (type.sampleType, type.sampleUnit)
                (m.periodType.type, m.periodType.unit) = (type.periodType, type.periodUnit)
            }
            return m
        }
        return out
    }

    /// `Query` in merge (or single) mode, as `REPORT_TYPE_FLAMEGRAPH_ARROW` or `REPORT_TYPE_PPROF`.
    func query(_ r: Parca_Query_V1alpha1_QueryRequest, _ query: Query) async throws -> Parca_Query_V1alpha1_QueryResponse {
        let text: String
        let range: TimeRange
        switch (r.mode, r.options) {
        case (.merge, .merge(let m)?):
            text = m.query
            range = Self.range(m.hasStart, m.start, m.hasEnd, m.end)
        case (.singleUnspecified, .single(let s)?):
            text = s.query
            let ms = s.time.seconds * 1000 + Int64(s.time.nanos / 1_000_000)
            range = .milliseconds(ms, ms)
        default:
            throw ConnectError(.unimplemented, "query mode \(r.mode) is not supported; use MODE_MERGE with merge options or a single profile")
        }
        try query.budget.checkRange(range)
        let (type, selector) = try Self.parseQuery(text)
        var out = Parca_Query_V1alpha1_QueryResponse()
        switch r.reportType {
        case .flamegraphArrow:
            let tree = try await query.mergeTree(profileType: type, selector: selector, range: range)
            var arrow = Parca_Query_V1alpha1_FlamegraphArrow()
            arrow.record = Data(Self.arrowRecord(tree))
            arrow.unit = type.sampleUnit
            arrow.height = Int32(Self.depths(tree).max() ?? 0) + 1
            out.flamegraphArrow = arrow
            out.total = tree.total.first ?? 0
        case .pprof:
            let profile = try await query.mergeProfile(profileType: type, selector: selector, range: range)
            out.pprof = Data(try PprofEncoder.encodeGzip(profile))
            out.total = profile.sampleTypes.isEmpty ? 0 : profile.total(ofType: 0)
        default:
            throw ConnectError(
                .unimplemented, "report type \(r.reportType) is not supported; Kiln serves REPORT_TYPE_FLAMEGRAPH_ARROW and REPORT_TYPE_PPROF")
        }
        return out
    }

    static func depths(_ tree: FlameTree) -> [Int] {
        var depth = [Int](repeating: 0, count: tree.parent.count)
        for n in 1..<max(tree.parent.count, 1) { depth[n] = depth[Int(tree.parent[n])] + 1 }
        return depth
    }

    /// Parca's flame-graph record (§3.3), one row per tree node, row 0 the
    /// root: every column Grafana reads with the exact types it asserts
    /// (`children` List<UInt32>, `cumulative` and `location_address` UInt64,
    /// `mapping_file` and `function_name` Dictionary<Int32, Binary>), and
    /// Parca's other columns with 64-bit unsigned widths. Frames are merged by
    /// function name, so mapping and address columns are null and zero.
    static func arrowRecord(_ tree: FlameTree) -> [UInt8] {
        let n = tree.parent.count
        var lists = [[UInt32]](repeating: [], count: n)
        for i in 1..<max(n, 1) { lists[Int(tree.parent[i])].append(UInt32(i)) }
        var dictionary: [[UInt8]] = []
        var indexOf: [String: Int32] = [:]
        let functionName: [Int32?] = (0..<n).map { i in
            guard i > 0 else { return nil }
            if let k = indexOf[tree.names[i]] { return k }
            let k = Int32(dictionary.count)
            dictionary.append(Array(tree.names[i].utf8))
            indexOf[tree.names[i]] = k
            return k
        }
        let none = [Int32?](repeating: nil, count: n)
        let zeros = [UInt64](repeating: 0, count: n)
        // x of a node: its parent's x, plus the parent's self, plus its earlier siblings' totals.
        var offsets = [UInt64](repeating: 0, count: n)
        for p in 0..<n {
            var x = offsets[p] &+ UInt64(max(tree.selfValue[p], 0))
            for c in lists[p] {
                offsets[Int(c)] = x
                x &+= UInt64(max(tree.total[Int(c)], 0))
            }
        }
        return ArrowStreamWriter.stream(
            [
                .bool("labels_only", [Bool](repeating: false, count: n)),
                .uint64("location_address", zeros),
                .dictionaryBinary("mapping_file", id: 0, indices: none, dictionary: []),
                .dictionaryBinary("mapping_build_id", id: 1, indices: none, dictionary: []),
                .uint64("location_line", zeros),
                .bool("inlined", [Bool](repeating: false, count: n)),
                .uint64("function_startline", zeros),
                .dictionaryBinary("function_name", id: 2, indices: functionName, dictionary: dictionary),
                .dictionaryBinary("function_system_name", id: 3, indices: none, dictionary: []),
                .dictionaryBinary("function_file_name", id: 4, indices: none, dictionary: []),
                .listUInt32("children", lists.map { $0.isEmpty ? nil : $0 }),
                .int32("parent", tree.parent),
                .uint64("cumulative", tree.total.map { UInt64(max($0, 0)) }),
                .uint64("flat", tree.selfValue.map { UInt64(max($0, 0)) }),
                .uint64("depth", depths(tree).map { UInt64($0) }),
                .uint64("value_offset", offsets),
            ], rows: n)
    }
}
