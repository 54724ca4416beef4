import Foundation
import KilnBytes
import KilnTestSupport
import Testing

/// The daemon's start-up over damaged WALs, and the inspector that repairs them.
@Suite struct WALEndToEndTests {
    /// A data directory whose WAL is a copy of testdata/wal/<name>.
    func dataDirectory(withWAL name: String) throws -> URL {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-e2e-wal-\(UUID().uuidString)")
        let wal = data.appendingPathComponent("wal")
        try FileManager.default.createDirectory(at: wal, withIntermediateDirectories: true)
        for f in try FileManager.default.contentsOfDirectory(atPath: TestData.url("wal/\(name)").path) {
            try FileManager.default.copyItem(at: TestData.url("wal/\(name)/\(f)"), to: wal.appendingPathComponent(f))
        }
        return data
    }

    func inspect(_ args: [String]) throws -> Subprocess.Result {
        try Subprocess.run([BuildProducts.url("kiln-inspect").path] + args)
    }

    @Test func tornTailIsTruncatedWithAWarningAndAMetric() throws {
        let data = try dataDirectory(withWAL: "torn_tail")
        defer { try? FileManager.default.removeItem(at: data) }
        let server = try KilnServerProcess(dataDirectory: data)
        #expect(server.log.contains("truncated a torn tail"))
        #expect(server.log.contains("offset=584"))
        let metrics = try server.get("/metrics").text
        #expect(metrics.contains("kiln_wal_truncated_tails_total 1"), "\(metrics)")
        // The two whole records before the tear are served.
        let r = try server.post(
            "/querier.v1.QuerierService/LabelValues", headers: [("Content-Type", "application/json"), ("X-Scope-OrgID", "golden")],
            body: Array(#"{"name":"service_name","start":1,"end":4102444800000}"#.utf8))
        let values = r.text
        #expect(values.contains("svc0") && values.contains("svc1"), "\(values)")
        // Pushes after recovery are durable and counted in the WAL metrics.
        let push = try server.post("/ingest?name=after.cpu", headers: [("Content-Type", "text/plain")], body: Array("a;b 3\n".utf8))
        #expect(push.status == 200)
        let after = try server.get("/metrics").text
        #expect(after.contains("kiln_wal_records_total 1"), "\(after)")
        #expect(after.contains("kiln_wal_fsyncs_total"))
    }

    @Test func corruptionStopsStartUpNamingSegmentAndOffset() throws {
        let data = try dataDirectory(withWAL: "bad_crc")
        defer { try? FileManager.default.removeItem(at: data) }
        do {
            _ = try KilnServerProcess(dataDirectory: data)
            Issue.record("kiln started over a corrupt WAL")
        } catch {
            let message = "\(error)"
            #expect(message.contains("WAL corruption in segment \(data.path)/wal/00000001 at byte 316"), "\(message)")
            #expect(message.contains("CRC32C mismatch"))
        }
        // The inspector sees it too, repairs it, and Kiln then starts with what preceded it.
        let wal = data.appendingPathComponent("wal").path
        let verify = try inspect(["wal", "verify", wal])
        #expect(verify.status == 1)
        #expect(verify.stderr.contains("at byte 316"))
        let listed = try inspect(["wal", "ls", wal])
        #expect(listed.stdout.contains("00000001"))
        let dump = try inspect(["wal", "dump", "--verbose", wal])
        #expect(dump.stdout.contains("00000001@8 ingest tenant=golden"), "\(dump.stdout)")
        let repair = try inspect(["wal", "repair", wal])
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(repair.stdout.contains("truncated") && repair.stdout.contains("at byte 316"))
        #expect(try inspect(["wal", "verify", wal]).stdout.contains("ok: 1 records"))
        let server = try KilnServerProcess(dataDirectory: data)
        #expect(server.log.contains("records=1"))
    }

    @Test func aSecondDaemonCannotShareTheDirectory() throws {
        let first = try KilnServerProcess()
        do {
            _ = try KilnServerProcess(dataDirectory: first.dataDirectory)
            Issue.record("two daemons share one WAL")
        } catch {
            #expect("\(error)".contains("in use by another Kiln process"))
        }
        // The inspector refuses to repair under a running daemon too.
        let repair = try inspect(["wal", "repair", first.dataDirectory.appendingPathComponent("wal").path])
        #expect(repair.status != 0)
        #expect(first.isRunning)
    }
}
