import Foundation
import HummingbirdBcrypt
import KilnProto
import KilnTestSupport
import Testing

/// Tenants and basic auth on the daemon (`--auth.multitenancy-enabled`,
/// `--auth.basic.htpasswd-file`): every endpoint but `/ready` needs a user of
/// the file, 401 tells nothing more; every request names its tenant; tenant
/// A never sees tenant B's profile types, labels, series, flame graphs or
/// blocks, in the head or after a cut.
@Suite struct TenantEndToEndTests {
    @Test func tenantsAreIsolatedBehindBasicAuth() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let htpasswd = dir.appendingPathComponent("users")
        try "# Kiln's users\nalice:\(Bcrypt.hash("s3cret", cost: 6))\n".write(to: htpasswd, atomically: true, encoding: .utf8)
        let server = try KilnServerProcess(arguments: ["--auth.multitenancy-enabled", "--auth.basic.htpasswd-file", htpasswd.path])
        let alice = "Basic " + Data("alice:s3cret".utf8).base64EncodedString()
        let cpuType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

        // /ready is open; everything else needs a user, and 401 says nothing about why.
        #expect(try server.get("/ready").status == 200)
        for auth in [
            nil, "Basic " + Data("alice:wrong".utf8).base64EncodedString(), "Basic " + Data("bob:s3cret".utf8).base64EncodedString(), "Bearer x",
        ] {
            let headers = auth.map { [("Authorization", $0), ("X-Scope-OrgID", "a")] } ?? [("X-Scope-OrgID", "a")]
            for r in [
                try server.get("/metrics", headers: headers),
                try server.post(
                    "/querier.v1.QuerierService/ProfileTypes", headers: headers + [("Content-Type", "application/json")], body: Array("{}".utf8)),
            ] {
                #expect(
                    r.status == 401 && r.text == "unauthorized\n" && r.header("WWW-Authenticate")?.hasPrefix("Basic") == true,
                    "\(auth ?? "none"): \(r.status) \(r.text)")
            }
        }
        // A user, but no tenant: 401 "no org id".
        let noTenant = try server.post(
            "/querier.v1.QuerierService/ProfileTypes", headers: [("Authorization", alice), ("Content-Type", "application/json")],
            body: Array("{}".utf8))
        #expect(noTenant.status == 401 && noTenant.text.contains("no org id"), "\(noTenant.text)")

        var a = ConnectClient(server: server, tenant: "team-a", authorization: alice)
        var b = a
        b.tenant = "team-b"
        try a.push([([("__name__", "process_cpu"), ("service_name", "a-svc")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
        try b.push([([("__name__", "memory"), ("service_name", "b-svc")], [try TestData.bytes("pprof/go-heap.pb.gz")])])

        func expectIsolated(_ when: String) throws {
            #expect(try a.profileTypes().allSatisfy { $0.hasPrefix("process_cpu:") }, "\(when)")
            #expect(try b.profileTypes().allSatisfy { $0.hasPrefix("memory:") }, "\(when)")
            var values = Types_V1_LabelValuesRequest()
            values.name = "service_name"
            let aValues: Types_V1_LabelValuesResponse = try a.call("/querier.v1.QuerierService/LabelValues", values)
            let bValues: Types_V1_LabelValuesResponse = try b.call("/querier.v1.QuerierService/LabelValues", values)
            #expect(aValues.names == ["a-svc"] && bValues.names == ["b-svc"], "\(when)")
            let series: Querier_V1_SeriesResponse = try b.call("/querier.v1.QuerierService/Series", Querier_V1_SeriesRequest())
            #expect(!series.labelsSet.isEmpty && series.labelsSet.allSatisfy { !$0.labels.contains { $0.value == "a-svc" } }, "\(when)")
            #expect(try a.flameGraph(cpuType).total == 9_910_000_000, "\(when)")
            #expect(try b.flameGraph(cpuType).total == 0, "\(when): B sees none of A's CPU profile")
            #expect(try b.flameGraph(cpuType, #"{service_name="a-svc"}"#).total == 0, "\(when)")
        }
        try expectIsolated("in the heads")
        let flush = try server.post("/ingester/flush", headers: [("Authorization", alice)], body: [])
        #expect(flush.status == 200)
        try expectIsolated("in blocks")
        // Each tenant's blocks live under its own directory.
        for tenant in ["team-a", "team-b"] {
            let blocks = try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory.appendingPathComponent("blocks/\(tenant)").path)
            #expect(blocks.count == 1, "\(tenant): \(blocks)")
        }
    }

    @Test func badUsersFilesStopTheStart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("users")
        try "alice:plaintext\n".write(to: file, atomically: true, encoding: .utf8)
        let r = try Subprocess.run([KilnServerProcess.binaryURL.path, "--auth.basic.htpasswd-file", file.path, "--storage.path", dir.path])
        #expect(r.status == 64 && r.stderr.contains(file.path + ":1") && r.stderr.contains("not bcrypt"), "\(r.stderr)")
    }
}
