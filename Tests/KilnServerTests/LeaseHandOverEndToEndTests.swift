import Foundation
import KilnTestSupport
import Testing

/// An ingester's lease on its id when its pod is rescheduled without its
/// disk: a drained shutdown (SIGTERM) releases it, so a process on a new,
/// empty data directory with the same id serves at once and adopts the
/// blocks shipped before; after a crash (`kill -9`) the lease stays, and
/// such a process waits to see whether its holder is alive.
@Suite struct LeaseHandOverEndToEndTests {
    @Test func aDrainedShutdownReleasesTheLeaseACrashDoesNot() throws {
        let moto = try MotoServer(checkSignatures: false)
        defer { moto.stop() }
        let arguments = [
            "--storage.backend", "s3", "--storage.s3.endpoint", moto.endpoint, "--storage.s3.bucket", moto.bucket,
            "--storage.s3.access-key", moto.accessKey, "--storage.s3.secret-key", moto.secretKey, "--storage.s3.force-path-style",
            "--ingester.id", "a", "--ingester.flush-on-shutdown",
        ]
        let first = try KilnServerProcess(arguments: arguments)
        let push = try first.post("/ingest?name=moved&from=1700000000&until=1700000010", body: Array("main;work 7\n".utf8))
        #expect(push.status == 200, "\(push.text)")
        first.stop()
        #expect(first.exitStatus == 0 && first.log.contains("released the ingester's lease"), "\(first.log)")

        // A new, empty data directory with the same id: ready at once (the lease
        // timeout is 300 s; the start waits 30 s at most), with the shipped block.
        let second = try KilnServerProcess(arguments: arguments)
        #expect(!second.log.contains("waiting to see whether it is alive"), "\(second.log)")
        let values = try second.post(
            "/querier.v1.QuerierService/LabelValues", headers: [("Content-Type", "application/json")],
            body: Array(#"{"name":"service_name","start":"1699999000000","end":"1700001000000"}"#.utf8))
        #expect(values.status == 200 && values.text.contains("moved"), "\(values.status) \(values.text)")

        // A crash keeps the lease: the next new data directory waits and does not serve.
        second.kill()
        let third = try KilnServerProcess(arguments: arguments, waitUntilReady: false)
        defer { third.kill() }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !third.log.contains("waiting to see whether it is alive") { usleep(100_000) }
        #expect(third.log.contains("waiting to see whether it is alive"), "\(third.log)")
        #expect(third.isRunning && (try? third.get("/ready"))?.status != 200)
    }
}
