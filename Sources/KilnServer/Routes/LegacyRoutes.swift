import Foundation
import Hummingbird
import KilnHead
import KilnIngest
import KilnModel
import KilnQuery
import KilnStorage
import Logging

/// The original Pyroscope HTTP API that Grafana's legacy client
/// (`backendType: pyroscope`) and old tools call (shared/reference/pyroscope-api.md §6):
///
/// - `GET /pyroscope/render`, `GET /render`: `query=<profile type ID>{matchers}`,
///   `from`, `until` (attime; 0 is no time: 400), `maxNodes`/`max-nodes`
///   (unparsable: the default), `groupBy`, `aggregation=sum|avg` →
///   flamebearer JSON with its timeline (and groups), whatever `format` names
///   but `dot`, which answers the call graph in Graphviz (`LegacyRoutes+Dot`), as Pyroscope;
/// - `GET /pyroscope/render-diff`, `GET /render-diff`: `leftQuery`,
///   `leftFrom`, `leftUntil`, `rightQuery`, `rightFrom`, `rightUntil` (one
///   profile type) → the diff flamebearer (`format: double`);
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
            router.get(RouterPath(prefix + "/render-diff")) { request, context in await respond(request, context, renderDiff) }
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
            if let text = value.value as? PlainText {
                return Response(status: .ok, headers: [.contentType: text.contentType], body: .init(byteBuffer: ByteBuffer(string: text.text)))
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

    /// `from`/`until` (attime; defaults now−1h and now) as a range in
    /// milliseconds; 0 is no time (400), as Pyroscope answers it.
    static func range(_ params: [String: String], from fromKey: String = "from", until untilKey: String = "until") throws -> (
        fromMs: Int64, untilMs: Int64
    ) {
        let now = Date().unixNanoseconds
        guard let from = AtTime.parse(params[fromKey] ?? "now-1h", nowNanos: now),
            let until = AtTime.parse(params[untilKey] ?? "now", nowNanos: now)
        else {
            throw ConnectError(.invalidArgument, "\(fromKey) and \(untilKey) must be Unix times (s, ms, µs or ns) or now[-offset]")
        }
        guard from > 0, until > 0 else { throw ConnectError(.invalidArgument, "\(fromKey) and \(untilKey) are required: 0 is not a time") }
        guard from <= until else { throw ConnectError(.invalidArgument, "\(fromKey) must not be after \(untilKey)") }
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

    /// `maxNodes`/`max-nodes`, when given and valid; absent, unparsable or
    /// out of range is nil (the default), as Pyroscope reads it.
    static func maxNodes(_ params: [String: String]) -> Int64? {
        guard let n = Int64(params["maxNodes"] ?? params["max-nodes"] ?? ""), n > 0 else { return nil }
        return try? QuerierRoutes.maxNodes(n)
    }

    func render(_ request: Request, _ params: [String: String], _ query: Query) async throws -> Any {
        let (type, selector) = try Self.query(params)
        let (fromMs, untilMs) = try Self.range(params)
        try query.budget.checkRange(.milliseconds(fromMs, untilMs))
        if params["format"] == "dot" {
            let tree = try await query.mergeTree(profileType: type, selector: selector, range: .milliseconds(fromMs, untilMs))
            // pprof's -dot default keeps 80 nodes; a smaller maxNodes keeps fewer.
            let nodes = Int(min(Self.maxNodes(params) ?? Int64(Self.dotNodes), Int64(Self.dotNodes)))
            return PlainText(text: Self.dot(tree, type: type, maxNodes: nodes), contentType: "text/vnd.graphviz")
        }
        let maxNodes = Self.maxNodes(params) ?? FlameGraph.defaultMaxNodes
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
        return [
            "version": 1,
            "flamebearer": ["names": graph.names, "levels": graph.levels, "numTicks": graph.total, "maxSelf": graph.maxSelf] as [String: Any],
            "metadata": Self.metadata(type, format: "single"),
            "timeline": timeline(
                series.flatMap(\.points).reduce(into: [Int64: Double]()) { $0[$1.timestampMs, default: 0] += $1.value }
                    .map { TimeSeries.Point(timestampMs: $0.key, value: $0.value) }),
            "groups": groups,
            "heatmap": NSNull(),
        ] as [String: Any]
    }

    /// pprof's `-nodecount` default for graphs.
    static let dotNodes = 80

    /// The flamebearer's `metadata`.
    static func metadata(_ type: ProfileTypeID, format: String) -> [String: Any] {
        let units: String =
            switch type.sampleType {
            case "cpu": "samples"
            case "inuse_objects", "alloc_objects", "goroutine", "goroutines", "samples": "objects"
            default: type.sampleUnit
            }
        return [
            "format": format, "spyName": "", "sampleRate": type.sampleType == "cpu" ? 1_000_000_000 : 100, "units": units, "name": type.sampleType,
        ]
    }

    /// `render-diff`: the left and right queries of one profile type, each
    /// over its own range, as one diff flamebearer.
    func renderDiff(_ request: Request, _ params: [String: String], _ query: Query) async throws -> Any {
        func side(_ name: String) throws -> (ProfileTypeID, LabelSelector, TimeRange) {
            guard let text = params[name + "Query"], !text.isEmpty else { throw ConnectError(.invalidArgument, "\(name)Query is required") }
            let (type, selector) = try Self.query(["query": text])
            let (fromMs, untilMs) = try Self.range(params, from: name + "From", until: name + "Until")
            let range = TimeRange.milliseconds(fromMs, untilMs)
            try query.budget.checkRange(range)
            return (type, selector, range)
        }
        let left = try side("left")
        let right = try side("right")
        guard left.0 == right.0 else {
            throw ConnectError(.invalidArgument, "leftQuery and rightQuery must query the same profile type (\(left.0.id) vs \(right.0.id))")
        }
        let d = try await query.diff(
            profileType: left.0, left: (left.1, left.2, CallSiteFilter()), right: (right.1, right.2, CallSiteFilter()),
            maxNodes: Self.maxNodes(params) ?? FlameGraph.defaultMaxNodes)
        return [
            "version": 1,
            "flamebearer": ["names": d.names, "levels": d.levels, "numTicks": d.total, "maxSelf": d.maxSelf] as [String: Any],
            "metadata": Self.metadata(left.0, format: "double"),
            "leftTicks": d.leftTicks,
            "rightTicks": d.rightTicks,
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

/// A non-JSON answer (the dot format).
private struct PlainText {
    let text: String
    let contentType: String
}

/// A JSON value built from Foundation types, passed out of a query closure.
/// @unchecked: built inside the closure and only read after it returns, by the same task.
private struct SendableJSON: @unchecked Sendable {
    let value: Any
}
