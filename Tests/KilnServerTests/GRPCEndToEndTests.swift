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
}
