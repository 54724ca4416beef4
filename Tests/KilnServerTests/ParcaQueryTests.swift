import Foundation
import KilnCurl
import KilnPprof
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

/// Grafana's Parca data source, in process: its call sequence over gRPC-Web (a client written here from shared/reference/parca-api.md
/// §1: one length-prefixed request frame; a data frame then a trailer frame,
/// or trailers-only errors), and the Arrow flame graph read by pyarrow.
@Suite struct ParcaQueryTests {
    struct Reply {
        var status: Int
        var grpcStatus: String?
        var grpcMessage: String?
        var message: [UInt8]?
        var trailer: String?
    }

    /// The headers of a gRPC-Web call.
    static let headers = [("Content-Type", "application/grpc-web+proto"), ("Accept-Encoding", "identity")]

    /// One length-prefixed request frame.
    static func frame(_ request: some SwiftProtobuf.Message) throws -> [UInt8] {
        let payload: [UInt8] = try request.serializedBytes()
        let n = UInt32(payload.count)
        return [0, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + payload
    }

    static func call(_ server: InProcessServer.Client, _ path: String, _ request: some SwiftProtobuf.Message) async throws -> Reply {
        let r = try await server.post(path, headers: headers, body: try frame(request))
        return reply(status: r.status, header: r.header, body: r.body)
    }

    /// A gRPC-Web answer: its status, trailers-only headers, and the data and trailer frames of its body.
    static func reply(status: Int, header: (String) -> String?, body b: [UInt8]) -> Reply {
        var reply = Reply(status: status, grpcStatus: header("grpc-status"), grpcMessage: header("grpc-message"))
        #expect(header("Content-Type") == "application/grpc-web+proto")
        var at = 0
        while at + 5 <= b.count {
            let flag = b[at]
            let length = Int(b[at + 1]) << 24 | Int(b[at + 2]) << 16 | Int(b[at + 3]) << 8 | Int(b[at + 4])
            let frame = Array(b[(at + 5)..<(at + 5 + length)])
            if flag & 0x80 != 0 { reply.trailer = String(decoding: frame, as: UTF8.self) } else { reply.message = frame }
            at += 5 + length
        }
        #expect(at == b.count, "frames fill the body exactly")
        return reply
    }

    static let prefix = "/parca.query.v1alpha1.QueryService/"

    @Test func grafanasParcaSequence() async throws {
        try await InProcessServer().run { server in try await Self.grafanasParcaSequence(server) }
    }

    static func grafanasParcaSequence(_ server: InProcessServer.Client) async throws {
        let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
        try await server.push([([("__name__", "process_cpu"), ("service_name", "api")], [cpu])])

        // Health check and the profile-type picker.
        let types = try await Self.call(server, Self.prefix + "ProfileTypes", Parca_Query_V1alpha1_ProfileTypesRequest())
        #expect(types.status == 200 && types.trailer?.contains("grpc-status: 0") == true)
        let typesResponse = try Parca_Query_V1alpha1_ProfileTypesResponse(serializedBytes: try #require(types.message))
        let cpuType = try #require(typesResponse.types.first { $0.sampleType == "cpu" })
        #expect(cpuType.name == "process_cpu" && cpuType.periodType == "cpu" && cpuType.delta)
        let grafanaID =
            [cpuType.name, cpuType.sampleType, cpuType.sampleUnit, cpuType.periodType, cpuType.periodUnit].joined(separator: ":") + ":delta"

        // Label names and values, with the /api prefix Parca's UI uses.
        let labels = try await Self.call(server, "/api" + Self.prefix + "Labels", Parca_Query_V1alpha1_LabelsRequest())
        let names = try Parca_Query_V1alpha1_LabelsResponse(serializedBytes: try #require(labels.message)).labelNames
        #expect(names.contains("service_name") && !names.contains("__name__"))
        var valuesRequest = Parca_Query_V1alpha1_ValuesRequest()
        valuesRequest.labelName = "service_name"
        let values = try await Self.call(server, Self.prefix + "Values", valuesRequest)
        #expect(try Parca_Query_V1alpha1_ValuesResponse(serializedBytes: try #require(values.message)).labelValues == ["api"])

        // QueryRange as Grafana sends it: no step, a limit.
        let t = try PprofDecoder.decode(cpu).timeNanos / 1_000_000_000
        var range = Parca_Query_V1alpha1_QueryRangeRequest()
        range.query = grafanaID + "{}"
        range.start = Google_Protobuf_Timestamp(seconds: t - 3600)
        range.end = Google_Protobuf_Timestamp(seconds: t + 60)
        range.limit = 800
        let series = try Parca_Query_V1alpha1_QueryRangeResponse(
            serializedBytes: try #require(try await Self.call(server, Self.prefix + "QueryRange", range).message)
        ).series
        // One series per `worker` sample label value of the profile, and one for its unlabelled samples.
        #expect(series.count == 4 && series.allSatisfy { $0.labelset.labels.contains { $0.name == "service_name" && $0.value == "api" } })
        #expect(series.reduce(0) { $0 + $1.samples.reduce(0) { $0 + $1.value } } == 9_910_000_000 && series[0].sampleType.type == "cpu")

        // Query: merge, Arrow flame graph, read by pyarrow.
        var q = Parca_Query_V1alpha1_QueryRequest()
        q.mode = .merge
        q.merge.query = grafanaID + #"{service_name="api"}"#
        q.merge.start = range.start
        q.merge.end = range.end
        q.reportType = .flamegraphArrow
        let reply = try await Self.call(server, Self.prefix + "Query", q)
        let response = try Parca_Query_V1alpha1_QueryResponse(serializedBytes: try #require(reply.message))
        #expect(response.total == 9_910_000_000 && response.flamegraphArrow.unit == "nanoseconds")
        let path = NSTemporaryDirectory() + "kiln-parca-\(UUID().uuidString).arrows"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try response.flamegraphArrow.record.write(to: URL(fileURLWithPath: path))
        let script = """
            import json, sys, pyarrow as pa
            batch = pa.ipc.open_stream(open(sys.argv[1], "rb").read()).read_next_batch()
            t = {f.name: str(f.type) for f in batch.schema}
            children = batch.column("children").to_pylist()
            cumulative = batch.column("cumulative").to_pylist()
            names = [None if v is None else v.decode() for v in batch.column("function_name").to_pylist()]
            self_of = {}
            for i, c in enumerate(cumulative):
                s = c - sum(cumulative[k] for k in (children[i] or []))
                if names[i] is not None: self_of[names[i]] = self_of.get(names[i], 0) + s
            print(json.dumps({"types": t, "root": cumulative[0], "rootName": names[0], "sha": self_of.get("crypto/sha256.block"),
                              "valuesNulls": batch.column("children").values.null_count}))
            """
        let r = try Subprocess.run([PythonEnvironment.python, "-c", script, path])
        #expect(r.status == 0, "pyarrow: \(r.stderr)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let t2 = try #require(out["types"] as? [String: String])
        #expect(t2["children"] == "list<item: uint32 not null>" && t2["cumulative"] == "uint64" && t2["location_address"] == "uint64")
        #expect(
            t2["mapping_file"] == "dictionary<values=binary, indices=int32, ordered=0>"
                && t2["function_name"] == "dictionary<values=binary, indices=int32, ordered=0>")
        #expect((out["root"] as? NSNumber)?.int64Value == 9_910_000_000 && out["rootName"] is NSNull)
        #expect((out["sha"] as? NSNumber)?.int64Value == 3_160_000_000, "go tool pprof's flat figure for sha256.block")
        #expect(out["valuesNulls"] as? Int == 0)

        // Errors are trailers-only with a gRPC status.
        let unknown = try await Self.call(server, Self.prefix + "ShareProfile", Parca_Query_V1alpha1_ProfileTypesRequest())
        #expect(unknown.status == 200 && unknown.grpcStatus == "12" && unknown.message == nil)
        var bad = q
        bad.merge.query = #"{service_name="api"}"#
        let invalid = try await Self.call(server, Self.prefix + "Query", bad)
        #expect(invalid.grpcStatus == "3" && invalid.grpcMessage?.contains("profile-type") == true, "\(invalid)")
    }
}
