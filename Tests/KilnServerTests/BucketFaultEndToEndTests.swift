import Foundation
import KilnStorage
import KilnTestSupport
import Testing

/// The daemon against a bucket that fails: configured by a YAML file, S3 on
/// moto_server (signatures checked) behind the fault proxy. Through an
/// outage, pushes are acknowledged and kept, queries that need the bucket
/// fail with 503 and a message rather than answering without its blocks,
/// the daemon stays up, and once the bucket is back every answer equals
/// that of a filesystem-only daemon given the same pushes.
@Suite struct BucketFaultEndToEndTests {
    static let cpu = #"{"profile_typeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","label_selector":"{}","start":1,"end":4000000000000}"#
    static let json = [("Content-Type", "application/json")]

    /// Every query API's answer, or nil if any is not 200.
    static func answers(_ server: KilnServerProcess) -> [String]? {
        let requests = [
            ("ProfileTypes", "{}"), ("LabelNames", #"{"start":1,"end":4102444800000}"#),
            ("LabelValues", #"{"name":"service_name","start":1,"end":4102444800000}"#),
            ("Series", #"{"matchers":["{}"],"start":1,"end":4102444800000}"#), ("SelectMergeStacktraces", cpu),
            (
                "SelectMergeStacktraces",
                #"{"profile_typeID":"memory:inuse_space:bytes:space:bytes","label_selector":"{service_name=\"svc-1\"}","start":1,"end":4000000000000}"#
            ),
            (
                "SelectSeries",
                #"{"profile_typeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","label_selector":"{}","start":1,"end":4000000000000,"step":86400,"group_by":["service_name"]}"#
            ),
            ("GetProfileStats", "{}"),
        ]
        var out: [String] = []
        for (method, body) in requests {
            guard let r = try? server.post("/querier.v1.QuerierService/" + method, headers: json, body: Array(body.utf8)), r.status == 200 else {
                return nil
            }
            out.append(r.text)
        }
        return out
    }

    static func waitFor(_ seconds: Double, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            usleep(200_000)
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func aFailingBucketLosesNothingAndNeverAnswersWithoutItsBlocks() async throws {
        let moto = try MotoServer(checkSignatures: true)
        defer { moto.stop() }
        let proxy = try FaultProxy(upstream: moto.endpoint, schedule: [])
        defer { proxy.stop() }
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-e2e-bucket-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let config = data.appendingPathComponent("kiln.yaml")
        try """
        storage:
          backend: s3
          upload_grace_period: 0
          s3:
            endpoint: \(proxy.endpoint)
            bucket: \(moto.bucket)
            access_key: \(moto.accessKey)
            secret_key: \(moto.secretKey)
            force_path_style: true
        head:
          check_interval: 0.3
        """.write(to: config, atomically: true, encoding: .utf8)
        let arguments = ["--config.file", config.path]
        var server = try KilnServerProcess(arguments: arguments, dataDirectory: data)
        let oracle = try KilnServerProcess()
        func push(_ batch: Int) throws {
            let files = ["go-cpu.pb.gz": "process_cpu", "go-heap.pb.gz": "memory"]
            let series = try files.sorted { $0.key < $1.key }.map { file, name in
                ([("__name__", name), ("service_name", "svc-\(batch)")], [try TestData.bytes("pprof/" + file)])
            }
            try ConnectClient(server: server).push(series)
            try ConnectClient(server: oracle).push(series)
        }
        let blocks = data.appendingPathComponent("blocks/anonymous").path
        func localBlocks() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: blocks)) ?? []).filter { ULID($0) != nil } }
        let bucket = S3ObjectStore(
            S3Config(
                endpoint: moto.endpoint, region: "us-east-1", bucket: moto.bucket,
                accessKey: moto.accessKey, secretKey: moto.secretKey))
        func bucketBlocks() async throws -> Int { try await bucket.listAll(prefix: "anonymous").filter { $0.key.hasSuffix("/meta.json") }.count }

        // A block shipped, then released: served from the bucket alone.
        try push(0)
        #expect(try server.post("/ingester/flush", body: []).status == 200)
        try await Self.waitFor(15, "the shipped block to leave the local disk") { localBlocks().isEmpty }
        #expect(try await bucketBlocks() == 1)
        try push(1)

        // Outage: pushes are still acknowledged; the cut's block cannot ship and stays local.
        try proxy.setMode("503")
        try push(2)
        #expect(try server.post("/ingester/flush", body: []).status == 200)
        #expect(localBlocks().count == 1)

        // Restarted with an empty cache that keeps nothing (a flag over the
        // file's settings), on a working bucket: the released block's pages
        // must come from the bucket at query time.
        server.kill()
        try? FileManager.default.removeItem(at: data.appendingPathComponent("cache"))
        try proxy.setMode("pass")
        server = try KilnServerProcess(arguments: arguments + ["--storage.cache.size", "0", "--storage.cache.memory", "0"], dataDirectory: data)
        try await Self.waitFor(30, "the pending block to ship") { (try? await bucketBlocks()) == 2 }
        try proxy.setMode("503")
        let failed = try server.post("/querier.v1.QuerierService/SelectMergeStacktraces", headers: Self.json, body: Array(Self.cpu.utf8))
        #expect(failed.status == 503 && failed.text.contains("object store cannot be read"), "\(failed.status) \(failed.text)")
        let labels = try server.post(
            "/querier.v1.QuerierService/LabelValues", headers: Self.json, body: Array(#"{"name":"service_name","start":1,"end":4102444800000}"#.utf8))
        #expect(labels.status == 200 && labels.text.contains("svc-0"), "labels come from memory: \(labels.text)")

        // Restarted during the outage: the bucket cannot be listed, so no
        // query answers (503); pushes are acknowledged; the daemon stays up.
        server.kill()
        server = try KilnServerProcess(arguments: arguments, dataDirectory: data)
        let unlisted = try server.post(
            "/querier.v1.QuerierService/LabelNames", headers: Self.json, body: Array(#"{"start":1,"end":4102444800000}"#.utf8))
        #expect(unlisted.status == 503 && unlisted.text.contains("not listed yet"), "\(unlisted.status) \(unlisted.text)")
        try push(3)
        #expect(try server.get("/ready").status == 200 && server.isRunning)

        // The bucket is back: maintenance lists it, and nothing acknowledged is missing.
        try proxy.setMode("pass")
        var recovered: [String]?
        try await Self.waitFor(30, "queries to answer again") {
            recovered = Self.answers(server)
            return recovered != nil
        }
        #expect(recovered == Self.answers(oracle))
        #expect(server.log.contains("cannot list the bucket"), "the outage was logged")
        server.stop()
    }
}
