import Foundation
import HummingbirdBcrypt
import KilnPprof
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

/// Native gRPC (h2c on the main port) with the real clients: `grpcio` calling
/// Parca's services, `opentelemetry-proto`'s stub and OTLP/HTTP
/// (tools/e2e/otlp_client.py), auth and tenancy on gRPC calls.
@Suite struct GRPCEndToEndTests {
    static let writeRaw = "/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw"
    static let cpuType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

    @Test(.timeLimit(.minutes(3)))
    func opentelemetryClientsOverHTTPAndGRPC() throws {
        let server = try KilnServerProcess()
        let script = TestData.root.appendingPathComponent("tools/e2e/otlp_client.py").path
        let run = try Subprocess.run([PythonEnvironment.python, script, "--server", server.baseURL], timeoutSeconds: 150)
        #expect(run.status == 0, "otlp_client.py: \(run.stdout)\n\(run.stderr)\nserver log:\n\(server.log)")
        #expect(run.stdout.contains("nothing stored"), "\(run.stdout)")
    }

    @Test(.timeLimit(.minutes(2)))
    func parcaServicesOverNativeGRPC() throws {
        let server = try KilnServerProcess()
        let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
        let t = try PprofDecoder.decode(cpu).timeNanos / 1_000_000_000
        var range = Parca_Query_V1alpha1_QueryRangeRequest()
        range.query = #"process_cpu:cpu:nanoseconds:cpu:nanoseconds:delta{job="grpc-agent"}"#
        range.start = Google_Protobuf_Timestamp(seconds: t - 3600)
        range.end = Google_Protobuf_Timestamp(seconds: t + 60)
        range.limit = 100
        var should = Parca_Debuginfo_V1alpha1_ShouldInitiateUploadRequest()
        should.buildID = "abc"
        let replies = try GRPCCalls.run(
            port: server.port,
            [
                try .init(Self.writeRaw, ParcaIngestTests.writeRaw([("__name__", "process_cpu"), ("job", "grpc-agent")], cpu)),
                try .init("/parca.query.v1alpha1.QueryService/QueryRange", range),
                try .init("/parca.debuginfo.v1alpha1.DebuginfoService/ShouldInitiateUpload", should),
                try .init("/parca.telemetry.v1alpha1.TelemetryService/ReportPanic", Google_Protobuf_Empty()),
                try .init(Self.writeRaw, ParcaIngestTests.writeRaw([("job", "x")], cpu)),
                try .init(Self.writeRaw, ParcaIngestTests.writeRaw([("__name__", "process_cpu"), ("job", "x")], [1, 2, 3])),
                try .init("/parca.profilestore.v1alpha1.ProfileStoreService/NoSuchMethod", Google_Protobuf_Empty()),
            ])
        try #require(replies.count == 7)
        #expect(replies[0].code == "OK", "\(replies[0])")
        // What was written reads back through Parca's QueryRange (over gRPC) and Pyroscope's API, as the profile's own total.
        let series = try replies[1].message(Parca_Query_V1alpha1_QueryRangeResponse.self).series
        let expected = try PprofDecoder.decode(cpu).total(ofType: 1)
        #expect(series.reduce(0) { $0 + $1.samples.reduce(0) { $0 + $1.value } } == expected, "\(replies[1])")
        #expect(try ConnectClient(server: server).flameGraph(Self.cpuType, #"{service_name="grpc-agent"}"#).total == expected)
        let answer = try replies[2].message(Parca_Debuginfo_V1alpha1_ShouldInitiateUploadResponse.self)
        #expect(replies[2].code == "OK" && !answer.shouldInitiateUpload && answer.reason.contains("debug info"))
        #expect(replies[3].code == "OK", "\(replies[3])")
        #expect(replies[4].code == "INVALID_ARGUMENT" && replies[4].details.contains("__name__"), "\(replies[4])")
        #expect(replies[5].code == "INVALID_ARGUMENT", "\(replies[5])")
        #expect(replies[6].code == "UNIMPLEMENTED", "\(replies[6])")
        #expect(try ConnectClient(server: server).flameGraph(Self.cpuType, #"{service_name="x"}"#).total == 0)
        // gRPC calls are counted with the HTTP ones.
        let metrics = try server.get("/metrics").text
        #expect(metrics.contains("WriteRaw"), "\(metrics.prefix(2000))")
    }

    @Test(.timeLimit(.minutes(2)))
    func authAndTenancyApplyToGRPCCalls() throws {
        let dir = URL(fileURLWithPath: TestData.scratchDirectory("grpc-auth"))
        defer { try? FileManager.default.removeItem(at: dir) }
        let htpasswd = dir.appendingPathComponent("htpasswd")
        try "alice:\(Bcrypt.hash("s3cret", cost: 4))\n".write(to: htpasswd, atomically: true, encoding: .utf8)
        let tokens = dir.appendingPathComponent("tokens")
        try "# Parca Agent's token\nagent-token-1\n".write(to: tokens, atomically: true, encoding: .utf8)
        let server = try KilnServerProcess(arguments: [
            "--auth.basic.htpasswd-file", htpasswd.path, "--auth.bearer-token-file", tokens.path, "--auth.multitenancy-enabled",
        ])
        let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
        let write = ParcaIngestTests.writeRaw([("__name__", "process_cpu"), ("job", "authed")], cpu)
        let basic = "Basic " + Data("alice:s3cret".utf8).base64EncodedString()
        let replies = try GRPCCalls.run(
            port: server.port,
            [
                try .init(Self.writeRaw, write, metadata: [("x-scope-orgid", "t1")]),
                try .init(Self.writeRaw, write, metadata: [("authorization", "Bearer wrong"), ("x-scope-orgid", "t1")]),
                try .init(Self.writeRaw, write, metadata: [("authorization", "Bearer agent-token-1")]),
                try .init(Self.writeRaw, write, metadata: [("authorization", "Bearer agent-token-1"), ("x-scope-orgid", "t1")]),
                try .init(Self.writeRaw, write, metadata: [("authorization", basic), ("x-scope-orgid", "t2")]),
            ])
        try #require(replies.count == 5)
        #expect(replies[0].code == "UNAUTHENTICATED" && replies[1].code == "UNAUTHENTICATED", "\(replies)")
        #expect(replies[2].code == "UNAUTHENTICATED" && replies[2].details == "no org id", "\(replies[2])")
        #expect(replies[3].code == "OK" && replies[4].code == "OK", "\(replies)")
        let expected = try PprofDecoder.decode(cpu).total(ofType: 1)
        for tenant in ["t1", "t2"] {
            let client = ConnectClient(server: server, tenant: tenant, authorization: basic)
            #expect(try client.flameGraph(Self.cpuType, #"{service_name="authed"}"#).total == expected, "\(tenant)")
        }
    }

    /// A merged profile's total and totals by leaf frame: the function name, or `0x<address>` for an unsymbolized frame.
    static func leaves(_ client: ConnectClient, _ type: String, _ selector: String) throws -> (total: Int64, leaves: [String: Int64]) {
        var request = Querier_V1_SelectMergeProfileRequest()
        request.profileTypeID = type
        request.labelSelector = selector
        (request.start, request.end) = ConnectClient.allTime
        let p: Google_V1_Profile = try client.call("/querier.v1.QuerierService/SelectMergeProfile", request)
        let functions = Dictionary(uniqueKeysWithValues: p.function.map { ($0.id, p.stringTable[Int($0.name)]) })
        let locations = Dictionary(
            uniqueKeysWithValues: p.location.map { l in
                (l.id, l.line.first.map { functions[$0.functionID] ?? "?" } ?? "0x" + String(l.address, radix: 16))
            })
        var out: [String: Int64] = [:]
        var total: Int64 = 0
        for s in p.sample {
            total += s.value[0]
            out[locations[s.locationID[0]] ?? "?", default: 0] += s.value[0]
        }
        return (total, out)
    }

    @Test(.timeLimit(.minutes(2)))
    func parcaAgentWriteArrowOverNativeGRPC() throws {
        let server = try KilnServerProcess()
        // pyarrow writes Parca Agent's v2 record (LZ4 buffers); grpcio sends it; the script prints what it sent.
        let script = TestData.root.appendingPathComponent("tools/e2e/parca_arrow.py").path
        let run = try Subprocess.run(
            [PythonEnvironment.python, script, "--server", "127.0.0.1:\(server.port)", "--tenant", "agent", "--rows", "200", "--seed", "3"])
        try #require(run.status == 0, "parca_arrow.py: \(run.stderr)\nserver log:\n\(server.log)")
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let totals = try #require(sent["totals"] as? [[Any]])
        let client = ConnectClient(server: server, tenant: "agent")
        let types = try client.profileTypes()
        #expect(types.contains("parca_agent:samples:count:cpu:nanoseconds") && types.contains("memory:alloc_space:bytes:space:bytes"), "\(types)")
        for t in totals {
            let (producer, sampleType, comm, value) = (t[0] as! String, t[1] as! String, t[2] as! String, (t[3] as! NSNumber).int64Value)
            let type = producer == "memory" ? "memory:alloc_space:bytes:space:bytes" : "parca_agent:samples:count:cpu:nanoseconds"
            #expect(sampleType == (producer == "memory" ? "alloc_space" : "samples"))
            // comm stands in for service_name; the agent's labels select.
            let got = try Self.leaves(client, type, #"{service_name="\#(comm)",comm="\#(comm)"}"#)
            #expect(got.total == value, "\(producer) \(comm)")
        }
        let cpuLeaves = try #require(sent["cpu_leaves"] as? [String: NSNumber]).mapValues(\.int64Value)
        #expect(try Self.leaves(client, "parca_agent:samples:count:cpu:nanoseconds", "{}").leaves == cpuLeaves)
        // Parca's own query names the type with :delta.
        var range = Parca_Query_V1alpha1_QueryRangeRequest()
        range.query = #"parca_agent:samples:count:cpu:nanoseconds:delta{node="node-1"}"#
        range.start = Google_Protobuf_Timestamp(seconds: 1_699_999_000)
        range.end = Google_Protobuf_Timestamp(seconds: 1_700_001_000)
        range.limit = 100
        let expectedNode1 = try Self.leaves(client, "parca_agent:samples:count:cpu:nanoseconds", #"{node="node-1"}"#).total
        // Refused: a truncated stream and a v1 record; nothing stored for their tenant.
        let good = try TestData.bytes("arrow/parca-v2-samples.arrows")
        var truncated = Parca_Profilestore_V1alpha1_WriteArrowRequest()
        truncated.ipcBuffer = Data(good.prefix(good.count / 2))
        var garbage = Parca_Profilestore_V1alpha1_WriteArrowRequest()
        garbage.ipcBuffer = Data([1, 2, 3, 4, 5, 6, 7, 8])
        let replies = try GRPCCalls.run(
            port: server.port,
            [
                try .init("/parca.query.v1alpha1.QueryService/QueryRange", range, metadata: [("x-scope-orgid", "agent")]),
                try .init(Self.writeArrow, truncated, metadata: [("x-scope-orgid", "refused")]),
                try .init(Self.writeArrow, garbage, metadata: [("x-scope-orgid", "refused")]),
            ])
        let series = try replies[0].message(Parca_Query_V1alpha1_QueryRangeResponse.self).series
        #expect(series.reduce(0) { $0 + $1.samples.reduce(0) { $0 + $1.value } } == expectedNode1 && expectedNode1 > 0, "\(replies[0])")
        for r in replies.dropFirst() {
            #expect(r.code == "INVALID_ARGUMENT" && r.details.contains("arrow"), "\(r)")
        }
        #expect(try ConnectClient(server: server, tenant: "refused").profileTypes().isEmpty)
    }

    @Test(.timeLimit(.minutes(2)))
    func limitsApplyToGRPCCalls() throws {
        let server = try KilnServerProcess(arguments: [
            "--distributor.ingestion-rate-limit-mb", "0.001", "--distributor.ingestion-burst-size-mb", "0.001",
        ])
        let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
        var arrow = Parca_Profilestore_V1alpha1_WriteArrowRequest()
        arrow.ipcBuffer = Data(try TestData.bytes("arrow/parca-v2-samples.arrows"))
        let replies = try GRPCCalls.run(
            port: server.port,
            [
                try .init(Self.writeRaw, ParcaIngestTests.writeRaw([("__name__", "process_cpu"), ("job", "big")], cpu)),
                try .init(Self.writeArrow, arrow),
            ])
        for r in replies {
            #expect(r.code == "RESOURCE_EXHAUSTED" && r.details.contains("ingestion_burst_size_mb"), "\(r)")
        }
        #expect(try ConnectClient(server: server).profileTypes().isEmpty)
        #expect(try server.get("/metrics").text.contains(#"kiln_ingest_rejected_total{reason="rate_limited"} 2"#))
    }

    /// Pyroscope's own services are connect-go handlers, which speak gRPC too: so are Kiln's.
    @Test(.timeLimit(.minutes(2)))
    func pyroscopeServicesOverNativeGRPC() throws {
        let server = try KilnServerProcess()
        let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
        var types = Querier_V1_ProfileTypesRequest()
        (types.start, types.end) = ConnectClient.allTime
        let graph = ConnectClient.flameGraphRequest(
            Self.cpuType, #"{service_name="grpc-push"}"#, start: ConnectClient.allTime.start, end: ConnectClient.allTime.end)
        let replies = try GRPCCalls.run(
            port: server.port,
            [
                try .init(
                    "/push.v1.PusherService/Push", ConnectClient.pushRequest([([("__name__", "process_cpu"), ("service_name", "grpc-push")], [cpu])])),
                try .init("/querier.v1.QuerierService/ProfileTypes", types),
                try .init("/querier.v1.QuerierService/SelectMergeStacktraces", graph),
                try .init("/querier.v1.QuerierService/SelectMergeStacktraces", Querier_V1_SelectMergeStacktracesRequest()),
            ])
        #expect(replies[0].code == "OK", "\(replies[0])")
        #expect(try replies[1].message(Querier_V1_ProfileTypesResponse.self).profileTypes.map(\.id).contains(Self.cpuType))
        let expected = try PprofDecoder.decode(cpu).total(ofType: 1)
        #expect(try replies[2].message(Querier_V1_SelectMergeStacktracesResponse.self).flamegraph.total == expected, "\(replies[2])")
        #expect(replies[3].code == "INVALID_ARGUMENT", "\(replies[3])")
    }

    static let writeArrow = "/parca.profilestore.v1alpha1.ProfileStoreService/WriteArrow"
}
