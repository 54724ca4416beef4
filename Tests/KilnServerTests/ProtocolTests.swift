import Foundation
import KilnCompression
import KilnProto
import KilnServer
import KilnTestSupport
import SwiftProtobuf
import Testing

/// The Connect protocol details and bad input, in process (`InProcessServer`).
@Suite struct ProtocolTests {
    static let cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

    static func pushGoCPU(_ server: InProcessServer.Client) async throws {
        try await server.push([([("__name__", "process_cpu"), ("service_name", "svc")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
    }

    static func json(_ server: InProcessServer.Client, _ method: String, _ body: String, headers: [(String, String)] = []) async throws -> (
        Int, [String: Any], String
    ) {
        let r = try await server.post(
            "/querier.v1.QuerierService/" + method, headers: [("Content-Type", "application/json")] + headers, body: Array(body.utf8))
        let text = r.header("Content-Encoding") == "gzip" ? String(decoding: try Gzip.decompress(r.body), as: UTF8.self) : r.text
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return (r.status, object, text)
    }

    @Test func jsonCodecWithInt64AsStrings() async throws {
        try await InProcessServer().run { server in
            try await Self.pushGoCPU(server)
            let (status, body, text) = try await Self.json(
                server, "SelectMergeStacktraces", #"{"profileTypeID":"\#(Self.cpu)","labelSelector":"{}","start":"1","end":4102444800000}"#)
            #expect(status == 200, "\(text)")
            let fg = try #require(body["flamegraph"] as? [String: Any])
            #expect(fg["total"] as? String == "9910000000")
            #expect((fg["names"] as? [String])?.first == "total")
            let levels = try #require(fg["levels"] as? [[String: Any]])
            #expect((levels[0]["values"] as? [String])?.count == 4)
            // The same answer in JSON and in proto.
            let proto = try await server.flameGraph(Self.cpu)
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = true
            let fromJSON = try Querier_V1_SelectMergeStacktracesResponse(jsonString: text, options: options)
            #expect(fromJSON.flamegraph == proto)
            // Unknown fields are ignored; an empty JSON body is an error.
            #expect(try await Self.json(server, "ProfileTypes", #"{"start":"1","futureField":true}"#).0 == 200)
            let (emptyStatus, emptyBody, _) = try await Self.json(server, "ProfileTypes", "")
            #expect(emptyStatus == 400)
            #expect(emptyBody["code"] as? String == "invalid_argument")
            // ProfileTypes takes any range, as Pyroscope: none, or negative times, are every type.
            for body in [#"{"start":0,"end":0}"#, #"{"start":-1,"end":4102444800000}"#, #"{"start":-2,"end":-1}"#] {
                #expect(try await Self.json(server, "ProfileTypes", body).0 == 200, "\(body)")
            }
            #expect(try await Self.json(server, "ProfileTypes", #"{"start":4102444800000,"end":4102441200000}"#).0 == 400, "start after end")
        }
    }

    @Test func gzipResponsesOnlyWhenAccepted() async throws {
        try await InProcessServer().run { server in
            try await Self.pushGoCPU(server)
            var req = Querier_V1_SelectMergeStacktracesRequest()
            req.profileTypeID = Self.cpu
            req.labelSelector = "{}"
            req.start = ConnectClient.allTime.start
            req.end = ConnectClient.allTime.end
            let body: [UInt8] = try req.serializedBytes()
            let zipped = try await server.post(
                "/querier.v1.QuerierService/SelectMergeStacktraces",
                headers: [("Content-Type", "application/proto"), ("Accept-Encoding", "gzip")], body: body)
            #expect(zipped.status == 200)
            #expect(zipped.header("Content-Encoding") == "gzip")
            let plain = try await server.post(
                "/querier.v1.QuerierService/SelectMergeStacktraces", headers: [("Content-Type", "application/proto")], body: body)
            #expect(plain.header("Content-Encoding") == nil)
            #expect(try Gzip.decompress(zipped.body) == plain.body)
            // A gzip-compressed request body is accepted too.
            let gzReq = try await server.post(
                "/querier.v1.QuerierService/SelectMergeStacktraces",
                headers: [("Content-Type", "application/proto"), ("Content-Encoding", "gzip")], body: try Gzip.compress(body))
            #expect(gzReq.status == 200)
            #expect(gzReq.body == plain.body)
        }
    }

    /// Grafana's health check asks for a 1970 window and an all-default request: 200, empty.
    @Test func noDataIsNotAnError() async throws {
        try await InProcessServer().run { server in
            let client = server
            var pt = Querier_V1_ProfileTypesRequest()
            pt.start = 1000
            pt.end = 4000
            let r: Querier_V1_ProfileTypesResponse = try await client.call("/querier.v1.QuerierService/ProfileTypes", pt)
            #expect(r.profileTypes.isEmpty)
            let empty = try await server.post("/querier.v1.QuerierService/ProfileTypes", headers: [("Content-Type", "application/proto")], body: [])
            #expect(empty.status == 200 && empty.body.isEmpty)
            let g = try await client.flameGraph(Self.cpu, start: 1000, end: 4000)
            #expect(g.names == ["total"] && g.total == 0 && g.levels.map(\.values) == [[0, 0, 0, 0]])
            #expect(try await client.series(Self.cpu, start: 1000, end: 4000, step: 15).isEmpty)
            let stats: Types_V1_GetProfileStatsResponse = try await client.call(
                "/querier.v1.QuerierService/GetProfileStats", Types_V1_GetProfileStatsRequest())
            #expect(!stats.dataIngested)
        }
    }

    /// Every kind of bad input gets a 4xx naming what was wrong; the daemon keeps serving.
    @Test func badInputIsRejectedClearly() async throws {
        var config = ServerConfig()
        config.maxRequestBodyBytes = 200_000
        try await InProcessServer(config: config).run { server in
            func push(_ raw: [UInt8], headers: [(String, String)] = [("Content-Type", "application/proto")]) async throws -> (Int, String) {
                var req = Push_V1_PushRequest()
                var s = Push_V1_RawProfileSeries()
                var l = Types_V1_LabelPair()
                l.name = "__name__"
                l.value = "process_cpu"
                s.labels = [l]
                var sample = Push_V1_RawSample()
                sample.rawProfile = Data(raw)
                s.samples = [sample]
                req.series = [s]
                let r = try await server.post("/push.v1.PusherService/Push", headers: headers, body: try req.serializedBytes())
                return (r.status, r.text)
            }
            func check(_ result: (Int, String), _ status: Int, _ code: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
                #expect(result.0 == status, "\(result.1)", sourceLocation: sourceLocation)
                let body = (try? JSONSerialization.jsonObject(with: Data(result.1.utf8))) as? [String: Any]
                #expect(body?["code"] as? String == code, "\(result.1)", sourceLocation: sourceLocation)
                #expect((body?["message"] as? String)?.contains(message) == true, "\(result.1)", sourceLocation: sourceLocation)
            }
            func post(_ path: String, _ contentType: String, _ body: [UInt8], _ extra: [(String, String)] = []) async throws -> (Int, String) {
                let r = try await server.post(path, headers: [("Content-Type", contentType)] + extra, body: body)
                return (r.status, r.text)
            }

            // Malformed pprof, bad gzip inside the push, bad gzip request body.
            check(try await push([0x0a, 0x05, 0x01]), 400, "invalid_argument", "malformed pprof")
            let gz = try TestData.bytes("pprof/go-cpu.pb.gz")
            check(try await push(Array(gz.prefix(100))), 400, "invalid_argument", "bad gzip")
            check(
                try await post("/push.v1.PusherService/Push", "application/proto", [0x1f, 0x8b, 1, 2, 3], [("Content-Encoding", "gzip")]),
                400, "invalid_argument", "not valid gzip")
            check(
                try await post("/push.v1.PusherService/Push", "application/proto", [1, 2], [("Content-Encoding", "br")]), 404, "unimplemented",
                "Content-Encoding")
            // Bad protobuf request, no profiles, bad labels.
            check(try await post("/push.v1.PusherService/Push", "application/proto", [0xff, 0xff, 0xff]), 400, "invalid_argument", "cannot decode")
            check(try await post("/push.v1.PusherService/Push", "application/proto", []), 400, "invalid_argument", "no profiles received")
            // Wrong content type, wrong protocol version.
            check(try await post("/querier.v1.QuerierService/ProfileTypes", "text/plain", []), 415, "invalid_argument", "unsupported Content-Type")
            check(
                try await post("/querier.v1.QuerierService/ProfileTypes", "application/proto", [], [("Connect-Protocol-Version", "2")]),
                400, "invalid_argument", "Connect-Protocol-Version")
            // Bad selector, bad profile type, max_nodes out of range, bad step, missing name, start after end,
            // no time range, no label selector.
            func smst(_ edit: (inout Querier_V1_SelectMergeStacktracesRequest) -> Void) async throws -> (Int, String) {
                var r = Querier_V1_SelectMergeStacktracesRequest()
                r.profileTypeID = Self.cpu
                r.labelSelector = "{}"
                r.start = ConnectClient.allTime.start
                r.end = ConnectClient.allTime.end
                edit(&r)
                return try await post("/querier.v1.QuerierService/SelectMergeStacktraces", "application/proto", try r.serializedBytes())
            }
            check(try await smst { $0.labelSelector = #"{service_name="x""# }, 400, "invalid_argument", "invalid label selector")
            check(try await smst { $0.profileTypeID = "cpu" }, 400, "invalid_argument", "invalid profile type ID")
            check(try await smst { $0.maxNodes = -1 }, 400, "invalid_argument", "max_nodes")
            check(try await smst { $0.maxNodes = (1 << 20) + 1 }, 400, "invalid_argument", "max_nodes")
            check(
                try await smst {
                    $0.start = 10
                    $0.end = 5
                }, 400, "invalid_argument", "start")
            check(
                try await smst {
                    $0.start = Int64.min
                    $0.end = 5
                }, 400, "invalid_argument", "Unix milliseconds")
            check(
                try await smst {
                    $0.start = 0
                    $0.end = 0
                }, 400, "invalid_argument", "no time range")
            check(try await smst { $0.labelSelector = "" }, 400, "invalid_argument", "label_selector is required")
            var ss = Querier_V1_SelectSeriesRequest()
            ss.profileTypeID = Self.cpu
            ss.labelSelector = "{}"
            ss.start = ConnectClient.allTime.start
            ss.end = ConnectClient.allTime.end
            ss.step = 0.0001
            check(
                try await post("/querier.v1.QuerierService/SelectSeries", "application/proto", try ss.serializedBytes()), 400, "invalid_argument",
                "step must be >= 1ms")
            ss.step = 1e300
            check(
                try await post("/querier.v1.QuerierService/SelectSeries", "application/proto", try ss.serializedBytes()), 400, "invalid_argument",
                "step must be at most")
            check(try await post("/querier.v1.QuerierService/LabelValues", "application/proto", []), 400, "invalid_argument", "name is required")
            check(try await post("/querier.v1.QuerierService/Diff", "application/proto", []), 400, "invalid_argument", "left and right are required")
            var heat = Querier_V1_SelectHeatmapRequest()
            heat.profileTypeID = Self.cpu
            heat.labelSelector = "{}"
            heat.start = ConnectClient.allTime.start
            heat.end = ConnectClient.allTime.end
            check(
                try await post("/querier.v1.QuerierService/SelectHeatmap", "application/proto", try heat.serializedBytes()), 400, "invalid_argument",
                "step must be >= 1ms")
            // Oversized body → 413.
            check(
                try await post("/push.v1.PusherService/Push", "application/proto", [UInt8](repeating: 0, count: 300_000)), 413, "resource_exhausted",
                "exceeds the limit")
            // Legacy /ingest: bad name → 400; bad folded data → 422.
            check(try await post("/ingest", "text/plain", Array("a 1".utf8)), 400, "invalid_argument", "name parameter is required")
            check(try await post("/ingest?name=app%7Bbroken", "text/plain", Array("a 1".utf8)), 400, "invalid_argument", "invalid name")
            // (the code of a non-Connect error derives from its status: 422 → unknown, as Pyroscope answers)
            check(try await post("/ingest?name=app", "text/plain", Array("a;b x\n".utf8)), 422, "unknown", "line 1")
            check(try await post("/ingest?name=app&format=pprof", "application/octet-stream", [0x1f, 0x8b, 0, 0]), 422, "unknown", "bad gzip")
            check(
                try await post("/ingest?name=big.cpu&sampleRate=0", "text/plain", Array("a 9223372036854775807\nb 1\n".utf8)), 422, "unknown",
                "64 bits")
            check(try await post("/ingest?name=app&from=now%2B300y", "text/plain", Array("a 1\n".utf8)), 400, "invalid_argument", "invalid from")
            // A profile whose decompressed size is over the limit is 413, like an oversized body.
            let bomb = try Gzip.compress([UInt8](repeating: 0, count: 70 << 20), level: 9)
            check(try await push(bomb), 413, "resource_exhausted", "max_profile_size_bytes")
            check(try await post("/ingest?name=app&format=trie", "application/octet-stream", [1]), 400, "invalid_argument", "not supported")
            // A string that is not UTF-8: 422 on /ingest, 400 on Push, as Pyroscope answers.
            check(
                try await post("/ingest?name=app&format=pprof", "application/octet-stream", TestData.invalidUTF8Profile()), 422, "unknown",
                "not valid UTF-8")
            check(try await push(TestData.invalidUTF8Profile()), 400, "invalid_argument", "not valid UTF-8")
            check(try await post("/ingest?name=app&format=speedscope", "application/json", Array("{}".utf8)), 422, "unknown", "unknown schema")
            // Nothing was half-applied, and the daemon still serves.
            // (and the application still serves: the calls below)
            #expect(try await server.profileTypes().isEmpty)
            try await Self.pushGoCPU(server)
            #expect(try await server.flameGraph(Self.cpu).total == 9_910_000_000)
        }
    }

    /// A push carrying one good and one bad profile is rejected whole.
    @Test func rejectedPushLeavesNoPartialData() async throws {
        try await InProcessServer().run { server in
            let client = server
            await #expect(throws: ConnectClient.CallError.self) {
                try await client.push([
                    ([("__name__", "process_cpu"), ("service_name", "good")], [try TestData.bytes("pprof/go-cpu.pb.gz")]),
                    ([("__name__", "process_cpu"), ("service_name", "bad")], [[0x0a, 0x09]]),
                ])
            }
            let types = try await client.profileTypes()
            #expect(types.isEmpty)
        }
    }
}
