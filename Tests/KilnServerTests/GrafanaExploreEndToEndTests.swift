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
/// and the JSON codec (camelCase, int64 as strings), which must agree.
@Suite struct GrafanaExploreEndToEndTests {
    enum Codec: String, CaseIterable { case proto, json }

    /// One Connect unary call in `codec`, as Grafana's client sends it.
    static func call<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(
        _ server: KilnServerProcess, _ codec: Codec, _ method: String, _ request: Req, as: Res.Type = Res.self
    ) throws -> Res {
        let body: [UInt8] = codec == .proto ? try request.serializedBytes() : Array(try request.jsonString().utf8)
        let r = try server.post(
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

    struct Answers: Equatable {
        var health: [String] = []
        var types: [String] = []
        var names: [String] = []
        var values: [String] = []
        var series: [Types_V1_Series] = []
        var graph = Querier_V1_FlameGraph()
    }

    static func explore(_ server: KilnServerProcess, _ codec: Codec, cpuMs: Int64) throws -> Answers {
        var a = Answers()
        // 1. Save & test: a 1970 window must answer 200 with an empty list.
        var health = Querier_V1_ProfileTypesRequest()
        health.start = 1000
        health.end = 4000
        a.health = try call(server, codec, "ProfileTypes", health, as: Querier_V1_ProfileTypesResponse.self).profileTypes.map(\.id)
        _ = try call(server, codec, "ProfileTypes", Querier_V1_ProfileTypesRequest(), as: Querier_V1_ProfileTypesResponse.self)
        // 2. The cascader: profile types around the data.
        var types = Querier_V1_ProfileTypesRequest()
        types.start = cpuMs - 3_600_000
        types.end = cpuMs + 3_600_000
        a.types = try call(server, codec, "ProfileTypes", types, as: Querier_V1_ProfileTypesResponse.self).profileTypes.map(\.id)
        // 3. Autocompletion with the selector typed so far.
        var names = Types_V1_LabelNamesRequest()
        names.matchers = [#"{service_name="explore"}"#]
        names.start = types.start
        names.end = types.end
        a.names = try call(server, codec, "LabelNames", names, as: Types_V1_LabelNamesResponse.self).names
        var values = Types_V1_LabelValuesRequest()
        values.name = "worker"
        values.matchers = [#"{service_name="explore"}"#]
        values.start = types.start
        values.end = types.end
        a.values = try call(server, codec, "LabelValues", values, as: Types_V1_LabelValuesResponse.self).names
        // 4. "both": the series and the flame graph, concurrently.
        var series = Querier_V1_SelectSeriesRequest()
        series.profileTypeID = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
        series.labelSelector = #"{service_name="explore"}"#
        series.start = cpuMs - 600_000
        series.end = cpuMs + 600_000
        series.step = 15
        series.groupBy = ["worker"]
        series.exemplarType = .none
        var merge = Querier_V1_SelectMergeStacktracesRequest()
        merge.profileTypeID = series.profileTypeID
        merge.labelSelector = #"{service_name="explore", worker=~"sort|hash"}"#
        merge.start = series.start
        merge.end = series.end
        merge.maxNodes = 1024
        let results = LockedBox<(series: [Types_V1_Series], graph: Querier_V1_FlameGraph, errors: [String])>(([], .init(), []))
        let group = DispatchGroup()
        let (seriesRequest, mergeRequest) = (series, merge)
        DispatchQueue.global().async(group: group) {
            do {
                let r = try call(server, codec, "SelectSeries", seriesRequest, as: Querier_V1_SelectSeriesResponse.self)
                results.update { $0.series = r.series }
            } catch { results.update { $0.errors.append("\(error)") } }
        }
        DispatchQueue.global().async(group: group) {
            do {
                let r = try call(server, codec, "SelectMergeStacktraces", mergeRequest, as: Querier_V1_SelectMergeStacktracesResponse.self)
                results.update { $0.graph = r.flamegraph }
            } catch { results.update { $0.errors.append("\(error)") } }
        }
        group.wait()
        let r = results.value
        #expect(r.errors.isEmpty, "\(r.errors)")
        a.series = r.series
        a.graph = r.graph
        return a
    }

    @Test func exploreThroughBothCodecs() throws {
        let server = try KilnServerProcess()
        defer { server.stop() }
        let goCPU = try TestData.bytes("pprof/go-cpu.pb.gz")
        try ConnectClient(server: server).push([([("__name__", "process_cpu"), ("service_name", "explore"), ("env", "e2e")], [goCPU])])
        let cpuMs = try KilnPprofTime.millis(goCPU)
        let proto = try Self.explore(server, .proto, cpuMs: cpuMs)
        let json = try Self.explore(server, .json, cpuMs: cpuMs)
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

/// A value shared by the two concurrent calls.
final class LockedBox<T>: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func update(_ body: (inout T) -> Void) { lock.withLock { body(&stored) } }
}

enum KilnPprofTime {
    /// A pprof's collection time in ms.
    static func millis(_ bytes: [UInt8]) throws -> Int64 {
        try Google_V1_Profile(serializedBytes: Gzip.decompress(bytes)).timeNanos / 1_000_000
    }
}
