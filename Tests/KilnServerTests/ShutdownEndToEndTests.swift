import Foundation
import KilnProto
import KilnTestSupport
import Synchronization
import Testing

/// SIGTERM drains the real `kiln` binary: it stops accepting, answers what
/// is in flight, syncs the WAL (or, with `--ingester.flush-on-shutdown`,
/// cuts the heads into blocks) and exits 0; no acknowledged push is lost.
/// Also the operator endpoints: `/healthz` and what `/metrics` exposes.
@Suite struct ShutdownEndToEndTests {
    /// Pushes from four threads until the server goes away, then SIGTERM
    /// after `delay`; returns (acknowledged, attempted) by service.
    static func pushThenTerminate(_ server: KilnServerProcess, tag: String) -> (acked: [String: Int64], attempted: [String: Int64]) {
        let acknowledged = Mutex<[String: Int64]>([:])
        let attempted = Mutex<[String: Int64]>([:])
        let group = DispatchGroup()
        for w in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var i = 0
                while true {
                    let service = "\(tag)-w\(w)-\(i)"
                    let value = Int64(1000 + w * 10_000 + i)
                    i += 1
                    attempted.withLock { $0[service] = value }
                    guard
                        let body = try? CrashEndToEndTests.push(service: service, value: value, timeNanos: Int64(Date().timeIntervalSince1970 * 1e9)),
                        let r = try? server.post("/push.v1.PusherService/Push", headers: [("Content-Type", "application/proto")], body: body)
                    else { return }  // the server stopped accepting
                    if r.status == 200 { acknowledged.withLock { $0[service] = value } }
                }
            }
        }
        // SIGTERM once enough pushes are acknowledged (not after a fixed time: a loaded machine acknowledges fewer),
        // while the writers keep pushing.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, acknowledged.withLock({ $0.count }) <= 20 { usleep(20_000) }
        usleep(200_000)
        server.stop()  // SIGTERM, and wait
        group.wait()
        return (acknowledged.withLock { $0 }, attempted.withLock { $0 })
    }

    @Test(.timeLimit(.minutes(3)))
    func sigtermDrainsAndLosesNoAcknowledgedPush() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-sigterm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let start = Int64(Date().timeIntervalSince1970 * 1000)

        // 1. Drain, WAL synced: the next start replays it.
        var server = try KilnServerProcess(dataDirectory: data)
        let first = Self.pushThenTerminate(server, tag: "wal")
        #expect(server.exitedNormally && server.exitStatus == 0, "exit \(server.exitStatus ?? -1)")
        #expect(server.log.contains("requests drained") && server.log.contains("stopped: the WAL is synced"), "\(server.log.suffix(2000))")
        #expect(first.acked.count > 20, "only \(first.acked.count) pushes acknowledged")
        server = try KilnServerProcess(dataDirectory: data)
        try CrashEndToEndTests.verify(server, acknowledged: first.acked, attempted: first.attempted, startMs: start)

        // 2. Drain and cut: the heads become blocks before the exit.
        server.stop()
        server = try KilnServerProcess(arguments: ["--ingester.flush-on-shutdown"], dataDirectory: data)
        let second = Self.pushThenTerminate(server, tag: "cut")
        #expect(server.exitedNormally && server.exitStatus == 0)
        #expect(server.log.contains("heads cut on shutdown"), "\(server.log.suffix(2000))")
        let blocks = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("blocks/anonymous").path)
        #expect(blocks.count >= 1, "\(blocks)")
        server = try KilnServerProcess(dataDirectory: data)
        defer { server.stop() }
        // Everything is in blocks: only the checkpoint (and its records' tail) is left to replay.
        #expect(
            server.log.contains("\"records\": \"1\"") || server.log.contains("records=1") || server.log.contains("records: 1"),
            "\(server.log.prefix(3000))")
        try CrashEndToEndTests.verify(
            server, acknowledged: first.acked.merging(second.acked) { a, _ in a },
            attempted: first.attempted.merging(second.attempted) { a, _ in a }, startMs: start)
    }

    @Test func healthzAndMetrics() throws {
        let server = try KilnServerProcess(arguments: ["--head.check-interval", "0.2"])
        defer { server.stop() }
        let h = try server.get("/healthz")
        #expect(h.status == 200 && h.text == "ok\n")
        let client = ConnectClient(server: server)
        try client.push([([("__name__", "process_cpu"), ("service_name", "m")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
        _ = try client.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        _ = try? client.push([([("service_name", "no-name")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
        usleep(600_000)  // a maintenance pass refreshes the gauges
        let m = try server.get("/metrics")
        #expect(m.status == 200)
        let text = m.text
        for expected in [
            #"kiln_http_request_duration_seconds_bucket{route="/querier.v1.QuerierService/SelectMergeStacktraces""#,
            #"kiln_http_requests_total{route="/push.v1.PusherService/Push",method="POST",status="200"} 1"#,
            #"kiln_http_requests_total{route="/push.v1.PusherService/Push",method="POST",status="400"} 1"#,
            "kiln_ingest_profiles_total 1", "kiln_ingest_samples_total ", "kiln_ingest_bytes_total ",
            #"kiln_ingest_rejected_total{reason="invalid"} 1"#,
            "kiln_head_series 8", "kiln_head_profiles 8", "kiln_head_bytes ", "kiln_tenants 1", "kiln_blocks 0",
            "kiln_wal_fsync_duration_seconds_bucket", "kiln_wal_records_total ",
        ] {
            #expect(text.contains(expected), "missing \(expected)")
        }
    }
}
