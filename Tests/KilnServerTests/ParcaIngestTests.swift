import Foundation
import KilnPprof
import KilnProto
import KilnServer
import KilnTestSupport
import SwiftProtobuf
import Testing

/// Parca's ingest, in process: `WriteRaw` over gRPC-Web and over Connect,
/// queryable through Parca's and Pyroscope's query APIs; the agent's other
/// calls stubbed; bad input answered with a gRPC status.
@Suite struct ParcaIngestTests {
    static let store = "/parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw"
    static let cpuType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
    static let writeArrow = "/parca.profilestore.v1alpha1.ProfileStoreService/WriteArrow"

    static func writeRaw(_ labels: [(String, String)], _ profile: [UInt8]) -> Parca_Profilestore_V1alpha1_WriteRawRequest {
        var series = Parca_Profilestore_V1alpha1_RawProfileSeries()
        series.labels.labels = labels.map {
            var l = Parca_Profilestore_V1alpha1_Label()
            (l.name, l.value) = $0
            return l
        }
        var sample = Parca_Profilestore_V1alpha1_RawSample()
        sample.rawProfile = Data(profile)
        series.samples = [sample]
        var r = Parca_Profilestore_V1alpha1_WriteRawRequest()
        r.series = [series]
        return r
    }

    @Test func writeRawIsQueryableEverywhere() async throws {
        try await InProcessServer().run { server in
            let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
            // gRPC-Web, as Parca's scraper forwards; the job names the service.
            let web = try await ParcaQueryTests.call(
                server, "/api" + Self.store, Self.writeRaw([("__name__", "process_cpu"), ("job", "scraped")], cpu))
            #expect(web.status == 200 && web.grpcStatus == nil && web.trailer?.contains("grpc-status: 0") == true, "\(web)")
            // Connect (binary proto), as a third-party pusher would.
            let connect = try await server.post(
                Self.store, headers: [("Content-Type", "application/proto")],
                body: try Self.writeRaw([("__name__", "process_cpu"), ("service_name", "pushed")], cpu).serializedBytes())
            #expect(connect.status == 200, "\(connect.text)")

            // Pyroscope's API sees both services, each with the reference total.
            for service in ["scraped", "pushed"] {
                let g = try await server.flameGraph(Self.cpuType, #"{service_name="\#(service)"}"#)
                #expect(g.total == 9_910_000_000, "\(service)")
            }
            // Parca's QueryRange too.
            let t = try PprofDecoder.decode(cpu).timeNanos / 1_000_000_000
            var range = Parca_Query_V1alpha1_QueryRangeRequest()
            range.query = #"process_cpu:cpu:nanoseconds:cpu:nanoseconds:delta{job="scraped"}"#
            range.start = Google_Protobuf_Timestamp(seconds: t - 3600)
            range.end = Google_Protobuf_Timestamp(seconds: t + 60)
            range.limit = 100
            let reply = try await ParcaQueryTests.call(server, ParcaQueryTests.prefix + "QueryRange", range)
            let series = try Parca_Query_V1alpha1_QueryRangeResponse(serializedBytes: try #require(reply.message)).series
            #expect(series.reduce(0) { $0 + $1.samples.reduce(0) { $0 + $1.value } } == 9_910_000_000, "\(reply)")

            // The agent's other calls.
            var should = Parca_Debuginfo_V1alpha1_ShouldInitiateUploadRequest()
            should.buildID = "abc"
            let s = try await ParcaQueryTests.call(server, "/parca.debuginfo.v1alpha1.DebuginfoService/ShouldInitiateUpload", should)
            let answer = try Parca_Debuginfo_V1alpha1_ShouldInitiateUploadResponse(serializedBytes: try #require(s.message))
            #expect(!answer.shouldInitiateUpload && !answer.reason.isEmpty)
            let panic = try await ParcaQueryTests.call(server, "/parca.telemetry.v1alpha1.TelemetryService/ReportPanic", Google_Protobuf_Empty())
            #expect(panic.status == 200 && panic.trailer?.contains("grpc-status: 0") == true)

            // No __name__: InvalidArgument (3), nothing stored; an undecodable profile likewise; an unknown method, Unimplemented (12).
            let nameless = try await ParcaQueryTests.call(server, Self.store, Self.writeRaw([("job", "x")], cpu))
            #expect(nameless.grpcStatus == "3" && nameless.grpcMessage?.contains("__name__") == true, "\(nameless)")
            let garbage = try await ParcaQueryTests.call(server, Self.store, Self.writeRaw([("__name__", "process_cpu"), ("job", "x")], [1, 2, 3]))
            #expect(garbage.grpcStatus == "3", "\(garbage)")
            let unknown = try await ParcaQueryTests.call(server, ParcaQueryTests.prefix + "ShareProfile", Parca_Query_V1alpha1_ProfileTypesRequest())
            #expect(unknown.status == 200 && unknown.grpcStatus == "12" && unknown.message == nil, "\(unknown)")
            let none = try await server.flameGraph(Self.cpuType, #"{service_name="x"}"#)
            #expect(none.total == 0)
        }
    }

    /// WriteArrow over the transports a browser or proxy may use (gRPC-Web, Connect) as well as native gRPC
    /// (GRPCEndToEndTests): the pyarrow-written v2 record, its CPU total as pyarrow reads it.
    @Test func writeArrowOverGRPCWebAndConnect() async throws {
        try await InProcessServer().run { server in
            var request = Parca_Profilestore_V1alpha1_WriteArrowRequest()
            request.ipcBuffer = Data(try TestData.bytes("arrow/parca-v2-samples.arrows"))
            let text = String(decoding: try TestData.bytes("arrow/parca-v2-samples.rows.jsonl"), as: UTF8.self)
            var expected: Int64 = 0
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                if row["producer"] as? String == "parca_agent" { expected += (row["value"] as! NSNumber).int64Value }
            }
            let web = try await ParcaQueryTests.call(server.tenant("web"), Self.writeArrow, request)
            #expect(web.status == 200 && web.trailer?.contains("grpc-status: 0") == true, "\(web)")
            let connect = try await server.tenant("connect").post(
                Self.writeArrow, headers: [("Content-Type", "application/proto")], body: try request.serializedBytes())
            #expect(connect.status == 200, "\(connect.text)")
            for tenant in ["web", "connect"] {
                #expect(try await server.tenant(tenant).flameGraph("parca_agent:samples:count:cpu:nanoseconds", "{}").total == expected)
            }
            // A stream that is not Arrow: InvalidArgument, nothing stored.
            var bad = Parca_Profilestore_V1alpha1_WriteArrowRequest()
            bad.ipcBuffer = Data([0xFF, 0xFF, 0xFF, 0xFF, 9, 0, 0, 0, 1])
            let refused = try await ParcaQueryTests.call(server.tenant("bad"), Self.writeArrow, bad)
            #expect(refused.grpcStatus == "3" && refused.grpcMessage?.contains("failed to read arrow IPC record") == true, "\(refused)")
            #expect(try await server.tenant("bad").profileTypes().isEmpty)
        }
    }
}
