import Foundation
import KilnStorage
import KilnTestSupport
import Testing

/// A Pyroscope operator's command line (one-dash flags, `=true` switches)
/// and config file (`bucket_name`-style S3 keys, the endpoint as host:port
/// with `insecure`, top-level `multitenancy_enabled`, `limits:`) start Kiln
/// against a moto_server: pushes are stored per tenant, shipped to the
/// bucket and queried back, and the settings Kiln ignores are named in its log.
@Suite struct PyroscopeConfigEndToEndTests {
    @Test func aPyroscopeCommandLineAndConfigFileStartKiln() async throws {
        let moto = try MotoServer(checkSignatures: true)
        defer { moto.stop() }
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-pyroscope-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let config = data.appendingPathComponent("pyroscope.yaml")
        let hostPort = moto.endpoint.replacingOccurrences(of: "http://", with: "")
        try """
        target: all
        server:
          log_level: info
          grpc_listen_port: 9095
        storage:
          backend: s3
          s3:
            endpoint: \(hostPort)
            insecure: true
            bucket_name: \(moto.bucket)
            access_key_id: \(moto.accessKey)
            secret_access_key: \(moto.secretKey)
            region: us-east-1
        pyroscopedb:
          data_path: \(data.path)
          max_block_duration: 1h
        limits:
          ingestion_rate_mb: 8
          max_query_length: 30d
        analytics:
          reporting_enabled: false
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try KilnServerProcess(
            arguments: [
                "-config.file=\(config.path)", "-auth.multitenancy-enabled=true", "-self-profiling.disable-push=true", "-usage-stats.enabled=false",
            ],
            dataDirectory: data)
        #expect(server.log.contains("ignoring config file \(config.path), key server.grpc_listen_port"), "\(server.log)")
        #expect(server.log.contains("key analytics.reporting_enabled") && server.log.contains("ignoring -usage-stats.enabled"), "\(server.log)")

        // Multi-tenancy is on: no tenant, 401; with one, stored under it.
        let body = Array("main;work 7\n".utf8)
        #expect(try server.post("/ingest?name=pyro-app&from=1700000000&until=1700000010", body: body).status == 401)
        let pushed = try server.post("/ingest?name=pyro-app&from=1700000000&until=1700000010", headers: [("X-Scope-OrgID", "team-a")], body: body)
        #expect(pushed.status == 200, "\(pushed.text)")
        #expect(try server.post("/ingester/flush", headers: [("X-Scope-OrgID", "team-a")], body: []).status == 200)

        #expect(!server.log.contains("cannot list"), "\(server.log)")
        // The block is in the bucket, every request signed with the Pyroscope keys' credentials (moto checks
        // signatures; a storage prefix is left out: moto's check fails on the %2F in its listings).
        let bucket = S3ObjectStore(
            S3Config(
                endpoint: moto.endpoint, region: "us-east-1", bucket: moto.bucket,
                accessKey: moto.accessKey, secretKey: moto.secretKey, pathStyle: true))
        let keys = try await bucket.listAll(prefix: "").map(\.key).filter { $0.hasPrefix("team-a/blocks/") }
        #expect(keys.contains { $0.hasSuffix("/meta.json") }, "\(keys)")

        let values = try server.post(
            "/querier.v1.QuerierService/LabelValues", headers: [("Content-Type", "application/json"), ("X-Scope-OrgID", "team-a")],
            body: Array(#"{"name":"service_name","start":"1699999000000","end":"1700001000000"}"#.utf8))
        #expect(values.status == 200 && values.text.contains("pyro-app"), "\(values.status) \(values.text)")
        server.stop()
        #expect(server.exitStatus == 0, "\(server.log)")
    }

    /// `-storage.filesystem.dir` is a bucket in a directory, as in Pyroscope: blocks are shipped there.
    @Test func aFilesystemDirectoryIsABucket() throws {
        let bucket = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-shared-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: bucket) }
        let server = try KilnServerProcess(arguments: ["-storage.backend=filesystem", "-storage.filesystem.dir", bucket.path])
        let pushed = try server.post("/ingest?name=shared-app&from=1700000000&until=1700000010", body: Array("main;work 7\n".utf8))
        #expect(pushed.status == 200, "\(pushed.text)")
        #expect(try server.post("/ingester/flush", body: []).status == 200)
        let blocks = (try? FileManager.default.contentsOfDirectory(atPath: bucket.appendingPathComponent("anonymous/blocks").path)) ?? []
        #expect(
            blocks.count == 1
                && FileManager.default.fileExists(atPath: bucket.appendingPathComponent("anonymous/blocks/\(blocks[0])/meta.json").path), "\(blocks)")
        #expect(FileManager.default.fileExists(atPath: bucket.appendingPathComponent("_ingesters/none.json").path), "the ingester's lease")
    }

    /// What Kiln refuses, it names, and the start stops (exit 64).
    @Test func refusedPyroscopeSettingsStopTheStart() throws {
        for (arguments, message) in [
            (["-storage.backend=gcs"], "not gcs"),
            (["-storage.s3.sse.type=SSE-KMS"], "server-side encryption"),
            (["-auth.multitenancy-enabled=yes"], "a switch, want true or false"),
            (["-auth.multitenancy-enabled", "false"], "Unexpected argument 'false'"),
        ] {
            let r = try Subprocess.run([KilnServerProcess.binaryURL.path] + arguments, timeoutSeconds: 30)
            #expect(r.status == 64 && r.stderr.contains(message), "\(arguments): \(r.status) \(r.stderr)")
        }
    }
}
