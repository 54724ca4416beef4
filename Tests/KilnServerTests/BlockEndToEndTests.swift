import Foundation
import KilnStorage
import KilnTestSupport
import Testing

/// Head cuts on the real daemon: `/ingester/flush` writes blocks, answers
/// stay byte-identical across the cut, a SIGKILL and a restart, and the
/// block inspector reads and verifies what was written.
@Suite struct BlockEndToEndTests {
    static let files = ["go-cpu.pb.gz": "process_cpu", "go-heap.pb.gz": "memory", "go-goroutine.pb.gz": "goroutine"]

    /// Every query API, as JSON over Connect.
    static func answers(_ server: KilnServerProcess) throws -> [String] {
        let json = [("Content-Type", "application/json")]
        let requests = [
            ("ProfileTypes", "{}"),
            ("LabelNames", #"{"start":1,"end":4102444800000}"#),
            ("LabelValues", #"{"name":"service_name","start":1,"end":4102444800000}"#),
            ("Series", #"{"matchers":["{}"],"start":1,"end":4102444800000}"#),
            (
                "SelectMergeStacktraces",
                #"{"profile_typeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","label_selector":"{}","start":1,"end":4000000000000}"#
            ),
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
        return try requests.map { method, body in
            let r = try server.post("/querier.v1.QuerierService/" + method, headers: json, body: Array(body.utf8))
            #expect(r.status == 200, "\(method): \(r.text)")
            return r.text
        }
    }

    func inspect(_ args: [String]) throws -> Subprocess.Result {
        try Subprocess.run([BuildProducts.url("kiln-inspect").path] + args)
    }

    /// `--storage.backend=s3`: a flushed block lands in a moto bucket that checks signatures.
    @Test func flushShipsTheBlockToS3() async throws {
        let moto = try MotoServer(checkSignatures: true)
        defer { moto.stop() }
        let server = try KilnServerProcess(arguments: [
            "--storage.backend", "s3", "--storage.s3.endpoint", moto.endpoint, "--storage.s3.bucket", moto.bucket,
            "--storage.s3.access-key", moto.accessKey, "--storage.s3.secret-key", moto.secretKey, "--storage.s3.force-path-style",
        ])
        defer { server.stop() }
        try ConnectClient(server: server).push([([("__name__", "process_cpu"), ("service_name", "svc")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
        let flush = try server.post("/ingester/flush", body: [])
        #expect(flush.status == 200, "\(flush.text)")
        let bucket = S3ObjectStore(
            S3Config(
                endpoint: moto.endpoint, region: "us-east-1", bucket: moto.bucket,
                accessKey: moto.accessKey, secretKey: moto.secretKey))
        let keys = try await bucket.listAll(prefix: "anonymous").map(\.key)
        #expect(keys.count == 4 && keys.contains { $0.hasSuffix("/meta.json") }, "\(keys)")
        let blocks = server.dataDirectory.appendingPathComponent("blocks/anonymous").path
        let block = try #require(try FileManager.default.contentsOfDirectory(atPath: blocks).first)
        let local = try Data(contentsOf: URL(fileURLWithPath: blocks + "/" + block + "/profiles.kcol"))
        #expect(try await bucket.get("anonymous/blocks/\(block)/profiles.kcol") == [UInt8](local))
    }

    /// The offline cut: on a stopped daemon's directory, then served from the block.
    @Test func offlineCutCommand() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-e2e-cut-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        var server = try KilnServerProcess(dataDirectory: data)
        try ConnectClient(server: server).push([([("__name__", "process_cpu"), ("service_name", "svc")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
        let before = try Self.answers(server)
        let refused = try inspect(["block", "cut", data.path])
        #expect(refused.status != 0, "the WAL is locked while the daemon runs")
        server.stop()
        let cut = try inspect(["block", "cut", data.path])
        #expect(cut.status == 0 && cut.stdout.contains("cut anonymous/"), "\(cut.stdout)\(cut.stderr)")
        server = try KilnServerProcess(dataDirectory: data)
        defer { server.stop() }
        #expect(try Self.answers(server) == before)
    }

    @Test func flushKeepsAnswersAcrossCutKillAndRestart() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-e2e-blocks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        var server = try KilnServerProcess(dataDirectory: data)
        let client = ConnectClient(server: server)
        for i in 0..<3 {
            try client.push(
                try Self.files.sorted { $0.key < $1.key }.map { file, name in
                    ([("__name__", name), ("service_name", "svc-\(i)")], [try TestData.bytes("pprof/" + file)])
                })
        }
        let before = try Self.answers(server)
        #expect(before[4].contains("crypto/sha256.block"))

        let flush = try server.post("/ingester/flush", body: [])
        #expect(flush.status == 200 && flush.text.contains(#""tenant":"anonymous""#), "\(flush.text)")
        #expect(try Self.answers(server) == before)

        // More data after the cut lands in the new head; then a SIGKILL.
        try client.push([([("__name__", "process_cpu"), ("service_name", "svc-9")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
        let after = try Self.answers(server)
        #expect(after != before)
        server.kill()
        server = try KilnServerProcess(dataDirectory: data)
        #expect(try Self.answers(server) == after)
        server.stop()

        // The inspector lists and verifies the block, and shows its columns.
        let blocks = data.appendingPathComponent("blocks").path
        let listed = try inspect(["block", "ls", blocks])
        #expect(listed.status == 0 && listed.stdout.contains("anonymous") && listed.stdout.contains("lz4"), "\(listed.stdout)\(listed.stderr)")
        let verified = try inspect(["block", "verify", blocks])
        #expect(verified.status == 0 && verified.stdout.contains("1 of 1 blocks verified"), "\(verified.stdout)\(verified.stderr)")
        let block = try FileManager.default.contentsOfDirectory(atPath: blocks + "/anonymous")[0]
        let shown = try inspect(["block", "show", blocks + "/anonymous/" + block])
        #expect(shown.stdout.contains("samples.stack") && shown.stdout.contains("samples.value"), "\(shown.stdout)")
        let dumped = try inspect([
            "block", "dump", blocks + "/anonymous/" + block, "--selector", #"{service_name="svc-1",__type__="cpu"}"#, "--stacks",
        ])
        #expect(dumped.status == 0 && dumped.stdout.contains("crypto/sha256.block"), "\(dumped.stderr)")

        // A flipped byte in a sample page: verify names the file and exits 1.
        let profiles = blocks + "/anonymous/" + block + "/profiles.kcol"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: profiles)))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: profiles))
        let bad = try inspect(["block", "verify", blocks])
        #expect(bad.status == 1 && bad.stdout.contains("profiles.kcol"), "\(bad.stdout)\(bad.stderr)")
        // The daemon starts and serves what it still can (the live head from the WAL), the block is skipped at query time.
        server = try KilnServerProcess(dataDirectory: data)
        defer { server.stop() }
        let graph = try server.post(
            "/querier.v1.QuerierService/SelectMergeStacktraces", headers: [("Content-Type", "application/json")],
            body: Array(#"{"profile_typeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","label_selector":"{}","start":1,"end":4000000000000}"#.utf8)
        )
        #expect(graph.status == 200)
        #expect(try server.get("/metrics").text.contains("kiln_block_corruptions_total 1"))
    }
}
