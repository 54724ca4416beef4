import Foundation
import Hummingbird
import KilnIngest
import KilnModel
import KilnQuery
import KilnStorage
import Logging

/// The original Pyroscope HTTP API that Grafana's legacy client
/// (`backendType: pyroscope`) and old tools call (shared/reference/pyroscope-api.md §6):
///
/// - `GET /pyroscope/render`, `GET /render`: `query=<profile type ID>{matchers}`,
///   `from`, `until` (attime), `maxNodes`/`max-nodes`, `groupBy`,
///   `aggregation=sum|avg` → flamebearer JSON with its timeline (and groups);
/// - `GET /pyroscope/label-values`, `GET /label-values`: `label=X` → JSON array
///   (`__name__` → the profile type IDs);
/// - `GET /pyroscope/labels`, `GET /labels` → label names, `__…__` filtered;
/// - `GET /api/apps` → `[{"name": <profile type ID>}]`, each a "profile type" for Grafana.
///
/// Errors are HTTP statuses with `{"code","message"}` bodies (§3.6).
struct LegacyRoutes: Sendable {
    let catalog: any QueryCatalog
    let config: ServerConfig
    let logger: Logger

    /// Grafana draws at most ~1 500 points: the timeline's step is the range
    /// over 1 500, rounded up to a "nice" interval, at least 15 s (Pyroscope's
    /// `CalcPointInterval`).
    static let timelinePoints: Int64 = 1500
    static let niceStepsSeconds: [Int64] = [15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604_800]

    func register(on router: Router<KilnRequestContext>) {
        for prefix in ["/pyroscope", ""] {
            router.get(RouterPath(prefix + "/render")) { request, context in await respond(request, context, render) }
            router.get(RouterPath(prefix + "/label-values")) { request, context in await respond(request, context, labelValues) }
            router.get(RouterPath(prefix + "/labels")) { request, context in await respond(request, context, labels) }
        }
        router.get("/api/apps") { request, context in await respond(request, context, apps) }
    }

    private func respond(
        _ request: Request, _ context: KilnRequestContext,
        _ body: (Request, [String: String], Query) async throws -> Any
    ) async -> Response {
        do {
            let params = QueryString.parse(request.uri.query ?? "")
            let runner = QueryRunner(catalog: catalog, config: config, logger: logger)
            let value = try await runner.run(tenant: try Tenant.of(request, config), timeout: nil, channel: context.channel) { query in
                SendableJSON(value: try await body(request, params, query))
            }
            let bytes = try JSONSerialization.data(withJSONObject: value.value, options: [.sortedKeys, .fragmentsAllowed])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch {
            let e = error as? ConnectError ?? ConnectError(.internal, "internal error")
            if !(error is ConnectError) { logger.error("internal error serving \(request.uri.path): \(error)") }
            return Response(
                status: .init(code: e.httpStatus), headers: [.contentType: "application/json", .contentTypeOptions: "nosniff"],
                body: .init(byteBuffer: ByteBuffer(bytes: e.jsonBody)))
        }
    }

    /// `from`/`until` (attime; defaults now−1h and now) as a range in milliseconds.
    static func range(_ params: [String: String]) throws -> (fromMs: Int64, untilMs: Int64) {
        let now = Date().unixNanoseconds
        guard let from = AtTime.parse(params["from"] ?? "now-1h", nowNanos: now),
            let until = AtTime.parse(params["until"] ?? "now", nowNanos: now)
        else {
            throw ConnectError(.invalidArgument, "from and until must be Unix times (s, ms, µs or ns) or now[-offset]")
        }
        guard from <= until else { throw ConnectError(.invalidArgument, "from must not be after until") }
        return (from / 1_000_000, until / 1_000_000)
    }

    /// `query=<profile type ID>{matchers}` → the type and the selector.
    static func query(_ params: [String: String]) throws -> (ProfileTypeID, LabelSelector) {
        let (id, selector) = try QuerierRoutes.splitQuery(params["query"] ?? "")
        guard !id.isEmpty else {
            throw ConnectError(
                .invalidArgument, "query must start with a profile type ID, as in process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name=\"api\"}")
        }
        return (try QuerierRoutes.profileType(id), selector)
    }

    /// The selector of an optional `query` parameter (its type included), or all series.
    static func optionalSelector(_ params: [String: String]) throws -> LabelSelector {
        guard let text = params["query"], !text.isEmpty else { return LabelSelector() }
        let (type, selector) = try query(params)
        return Query.typed(selector, type)
    }

    static func step(fromMs: Int64, untilMs: Int64) -> Int64 {
        let wanted = max((untilMs - fromMs) / timelinePoints / 1000, 0)
        return niceStepsSeconds.first { $0 >= wanted } ?? niceStepsSeconds.last!
    }

    func render(_ request: Request, _ params: [String: String], _ query: Query) async throws -> Any {
        if let format = params["format"], format != "json" {
            throw ConnectError(.invalidArgument, "format \(format) is not supported; use format=json")
        }
        let (type, selector) = try Self.query(params)
        let (fromMs, untilMs) = try Self.range(params)
        let maxNodes = try QuerierRoutes.maxNodes(Int64(params["maxNodes"] ?? params["max-nodes"] ?? "0") ?? -1)
        try query.budget.checkRange(.milliseconds(fromMs, untilMs))
        let graph = try await query.mergeStacktraces(profileType: type, selector: selector, range: .milliseconds(fromMs, untilMs), maxNodes: maxNodes)

        // Timeline: one value per step from `from` snapped down to the step, zeros backfilled.
        let stepS = Self.step(fromMs: fromMs, untilMs: untilMs)
        let startS = Int64((Double(fromMs) / 1000).rounded(.down)) / stepS * stepS
        let count = Int((untilMs / 1000 - startS) / stepS) + 1
        let groupBy = params["groupBy"].flatMap { $0.isEmpty ? nil : $0.split(separator: ",").first.map(String.init) }
        let series = try await query.selectSeries(
            TimeSeriesQuery(
                profileType: type, selector: selector, startMs: startS * 1000, endMs: startS * 1000 + Int64(count - 1) * stepS * 1000,
                stepMs: stepS * 1000, groupBy: groupBy.map { [$0] } ?? [], aggregation: params["aggregation"] == "avg" ? .average : .sum))
        func timeline(_ points: [TimeSeries.Point]) -> [String: Any] {
            var samples = [Int64](repeating: 0, count: count)
            for p in points {
                let i = Int((p.timestampMs / 1000 - startS) / stepS)
                if samples.indices.contains(i) { samples[i] = Int64(p.value.rounded()) }
            }
            return ["startTime": startS, "samples": samples, "durationDelta": stepS, "watermarks": NSNull()]
        }
        var groups: Any = NSNull()
        if let groupBy {
            groups = Dictionary(series.map { ($0.labels[groupBy] ?? "*", timeline($0.points)) }, uniquingKeysWith: { a, _ in a })
        }
        let sampleType = type.sampleType
        let units: String =
            switch sampleType {
            case "cpu": "samples"
            case "inuse_objects", "alloc_objects", "goroutine", "goroutines", "samples": "objects"
            default: type.sampleUnit
            }
        return [
            "version": 1,
            "flamebearer": ["names": graph.names, "levels": graph.levels, "numTicks": graph.total, "maxSelf": graph.maxSelf] as [String: Any],
            "metadata": [
                "format": "single", "spyName": "", "sampleRate": sampleType == "cpu" ? 1_000_000_000 : 100, "units": units, "name": sampleType,
            ] as [String: Any],
            "timeline": timeline(
                series.flatMap(\.points).reduce(into: [Int64: Double]()) { $0[$1.timestampMs, default: 0] += $1.value }
                    .map { TimeSeries.Point(timestampMs: $0.key, value: $0.value) }),
            "groups": groups,
            "heatmap": NSNull(),
        ] as [String: Any]
    }

    func labelValues(_ request: Request, _ params: [String: String], _ query: Query) async throws -> Any {
        guard let label = params["label"], !label.isEmpty else { throw ConnectError(.invalidArgument, "label is required") }
        let (fromMs, untilMs) = try Self.range(params)
        let range = TimeRange.milliseconds(fromMs, untilMs)
        if label == "__name__" { return try await query.profileTypes(range: range).map(\.id) }
        return try await query.labelValues(name: label, selector: try Self.optionalSelector(params), range: range)
    }

    func labels(_ request: Request, _ params: [String: String], _ query: Query) async throws -> Any {
        let (fromMs, untilMs) = try Self.range(params)
        return try await query.labelNames(selector: try Self.optionalSelector(params), range: .milliseconds(fromMs, untilMs)).filter {
            !($0.hasPrefix("__") && $0.hasSuffix("__"))
        }
    }

    func apps(_ request: Request, _ params: [String: String], _ query: Query) async throws -> Any {
        try await query.profileTypes(range: .all).map { ["name": $0.id] }
    }
}

/// A JSON value built from Foundation types, passed out of a query closure.
/// @unchecked: built inside the closure and only read after it returns, by the same task.
private struct SendableJSON: @unchecked Sendable {
    let value: Any
}
