import Foundation
import KilnCompression
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

/// Grafana's Pyroscope data source, call for call (reference
/// pyroscope-api.md §2.2): "Save & test", the query editor's profile types,
/// label autocompletion, then a "both" query — `SelectSeries` and
/// `SelectMergeStacktraces` concurrently — through the binary proto codec
/// and the JSON codec (camelCase, int64 as strings), which must agree. In
/// process: the routes see the requests Grafana's client sends, headers and all.
@Suite struct GrafanaExploreTests {
    enum Codec: String, CaseIterable { case proto, json }

    /// One Connect unary call in `codec`, as Grafana's client sends it.
    static func call<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(
        _ server: InProcessServer.Client, _ codec: Codec, _ method: String, _ request: Req, as: Res.Type = Res.self
    ) async throws -> Res {
        let body: [UInt8] = codec == .proto ? try request.serializedBytes() : Array(try request.jsonString().utf8)
        let r = try await server.post(
            "/querier.v1.QuerierService/" + method,
            headers: [
                ("Content-Type", codec == .proto ? "application/proto" : "application/json"), ("Connect-Protocol-Version", "1"),
                ("Accept-Encoding", "gzip"), ("User-Agent", "connect-go/1.18.1 (go1.24.0)"), ("X-Grafana-Org-Id", "1"),
            ], body: body)
        #expect(r.status == 200, "\(method) \(codec): \(r.status) \(r.text)")
        let bytes = r.header("Content-Encoding") == "gzip" ? try Gzip.decompress(r.body) : r.body
        #expect(r.header("Content-Type") == (codec == .proto ? "application/proto" : "application/json"))
        if codec == .json {
            let text = String(decoding: bytes, as: UTF8.self)
            return try Res(
                jsonString: text,
                options: {
                    var o = JSONDecodingOptions()
                    o.ignoreUnknownFields = true
                    return o
                }())
        }
        return try Res(serializedBytes: bytes)
    }

    struct Answers: Equatable, Sendable {
        var health: [String] = []
        var types: [String] = []
        var names: [String] = []
        var values: [String] = []
        var series: [Types_V1_Series] = []
        var graph = Querier_V1_FlameGraph()
    }

    static func explore(_ server: InProcessServer.Client, _ codec: Codec, cpuMs: Int64) async throws -> Answers {
        var a = Answers()
        // 1. Save & test: a 1970 window must answer 200 with an empty list.
        var health = Querier_V1_ProfileTypesRequest()
        health.start = 1000
        health.end = 4000
        a.health = try await call(server, codec, "ProfileTypes", health, as: Querier_V1_ProfileTypesResponse.self).profileTypes.map(\.id)
        _ = try await call(server, codec, "ProfileTypes", Querier_V1_ProfileTypesRequest(), as: Querier_V1_ProfileTypesResponse.self)
        // 2. The cascader: profile types around the data.
        var types = Querier_V1_ProfileTypesRequest()
        types.start = cpuMs - 3_600_000
        types.end = cpuMs + 3_600_000
        a.types = try await call(server, codec, "ProfileTypes", types, as: Querier_V1_ProfileTypesResponse.self).profileTypes.map(\.id)
        // 3. Autocompletion with the selector typed so far.
        var names = Types_V1_LabelNamesRequest()
        names.matchers = [#"{service_name="explore"}"#]
        names.start = types.start
        names.end = types.end
        a.names = try await call(server, codec, "LabelNames", names, as: Types_V1_LabelNamesResponse.self).names
        var values = Types_V1_LabelValuesRequest()
        values.name = "worker"
        values.matchers = [#"{service_name="explore"}"#]
        values.start = types.start
        values.end = types.end
        a.values = try await call(server, codec, "LabelValues", values, as: Types_V1_LabelValuesResponse.self).names
        // 4. "both": the series and the flame graph, concurrently.
        var seriesRequest = Querier_V1_SelectSeriesRequest()
        seriesRequest.profileTypeID = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
        seriesRequest.labelSelector = #"{service_name="explore"}"#
        seriesRequest.start = cpuMs - 600_000
        seriesRequest.end = cpuMs + 600_000
        seriesRequest.step = 15
        seriesRequest.groupBy = ["worker"]
        seriesRequest.exemplarType = .none
        var merge = Querier_V1_SelectMergeStacktracesRequest()
        merge.profileTypeID = seriesRequest.profileTypeID
        merge.labelSelector = #"{service_name="explore", worker=~"sort|hash"}"#
        merge.start = seriesRequest.start
        merge.end = seriesRequest.end
        merge.maxNodes = 1024
        let (both, mergeRequest) = (seriesRequest, merge)
        async let series = call(server, codec, "SelectSeries", both, as: Querier_V1_SelectSeriesResponse.self)
        async let graph = call(server, codec, "SelectMergeStacktraces", mergeRequest, as: Querier_V1_SelectMergeStacktracesResponse.self)
        a.series = try await series.series
        a.graph = try await graph.flamegraph
        return a
    }

    @Test func exploreThroughBothCodecs() async throws {
        let goCPU = try TestData.bytes("pprof/go-cpu.pb.gz")
        let cpuMs = try Google_V1_Profile(serializedBytes: Gzip.decompress(goCPU)).timeNanos / 1_000_000
        let (proto, json) = try await InProcessServer().run { server in
            try await server.push([([("__name__", "process_cpu"), ("service_name", "explore"), ("env", "e2e")], [goCPU])])
            return (try await Self.explore(server, .proto, cpuMs: cpuMs), try await Self.explore(server, .json, cpuMs: cpuMs))
        }
        #expect(proto == json)
        #expect(proto.health.isEmpty)
        #expect(proto.types.contains("process_cpu:cpu:nanoseconds:cpu:nanoseconds"))
        #expect(Set(proto.names).isSuperset(of: ["env", "service_name", "worker"]))
        #expect(proto.values == ["hash", "math", "sort"])
        // One series per worker label value plus the unlabelled samples, each one point: the profile's share.
        #expect(proto.series.count == 4)
        #expect(proto.series.flatMap(\.points).reduce(0) { $0 + $1.value } == 9_910_000_000)
        #expect(proto.graph.total > 0 && proto.graph.total < 9_910_000_000)
        #expect(proto.graph.names.first == "total")
    }
}
