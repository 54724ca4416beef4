import Foundation
import KilnStorage
import KilnTestSupport
import Testing

/// Two `--target=ingester` processes (one without `--ingester.id`, one with)
/// and a `--target=querier` over one moto bucket answer every query API
/// exactly as one `--target=all` process given the same pushes, which the
/// ingesters share between them: with the data in the ingesters' heads only,
/// in blocks just shipped (which the querier learns of only through a stale
/// answer: its own re-listing interval is an hour), in both blocks and the
/// heads, in blocks shipped and already released to the bucket (grace 0)
/// that the querier has not listed, and after each ingester compacted a
/// block the querier had listed.
@Suite(.serialized) struct SplitRolesEndToEndTests {
    /// 2026-11-22 09:15:30 and 13:00 UTC: the real Go profiles were taken at
    /// 09:15, so the first phase lies in one 2 h window, which the second
    /// phase's data closes (the planner then rewrites that block alone).
    static let phaseOne: Int64 = 1_795_338_930
    static let phaseTwo: Int64 = 1_795_352_400

    static let cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
    static let heap = "memory:inuse_space:bytes:space:bytes"

    /// Every query API that reads data, as JSON over Connect and the legacy render API.
    static func answers(_ server: KilnServerProcess) throws -> [String] {
        let range = #""start":1,"end":4000000000000"#
        let requests = [
            ("ProfileTypes", "{}"),
            ("LabelNames", #"{\#(range)}"#),
            ("LabelValues", #"{"name":"service_name",\#(range)}"#),
            ("Series", #"{"matchers":["{}"],\#(range)}"#),
            ("SelectMergeStacktraces", #"{"profile_typeID":"\#(cpu)","label_selector":"{}",\#(range)}"#),
            ("SelectMergeStacktraces", #"{"profile_typeID":"\#(heap)","label_selector":"{service_name=\"svc-1\"}",\#(range)}"#),
            ("SelectMergeProfile", #"{"profile_typeID":"\#(cpu)","label_selector":"{service_name=~\"svc-.*\"}",\#(range)}"#),
            (
                "Diff",
                #"{"left":{"profile_typeID":"\#(cpu)","label_selector":"{service_name=\"svc-1\"}",\#(range)},"right":{"profile_typeID":"\#(cpu)","label_selector":"{service_name!=\"svc-1\"}",\#(range)}}"#
            ),
            ("SelectSeries", #"{"profile_typeID":"\#(cpu)","label_selector":"{}",\#(range),"step":60,"group_by":["service_name"]}"#),
            ("SelectHeatmap", #"{"profile_typeID":"\#(cpu)","label_selector":"{}",\#(range),"step":3600}"#),
            ("AnalyzeQuery", #"{"query":"{}",\#(range)}"#),
            ("GetProfileStats", "{}"),
        ]
        var out = try requests.map { method, body in
            let r = try server.post("/querier.v1.QuerierService/" + method, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
            #expect(r.status == 200, "\(method): \(r.text)")
            return "\(method): " + (method == "AnalyzeQuery" ? try logical(r.text) : r.text)
        }
        let render = try server.get("/pyroscope/render?query=\(cpu)%7B%7D&from=1&until=4000000000&groupBy=service_name&format=json")
        out.append("render: \(render.status) \(render.text)")
        return out
    }

    /// An AnalyzeQuery answer without what depends on how the data is laid
    /// out (blocks, bytes, overlaps): two ingesters cut twice the blocks one
    /// process does. The series, profiles and samples read stay.
    static func logical(_ json: String) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let physical: Set<String> = ["blockCount", "indexBytes", "profileBytes", "symbolBytes", "totalBytesInTimeRange", "deduplicationNeeded"]
        object["queryScopes"] = (object["queryScopes"] as? [[String: Any]])?.map { $0.filter { !physical.contains($0.key) } }
        object["queryImpact"] = (object["queryImpact"] as? [String: Any])?.filter { !physical.contains($0.key) }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The same pushes to each side: real Go profiles over Connect, folded
    /// stacks at `time` over /ingest. Each side's processes take the pushes
    /// in turn, so ingesters sharing a bucket hold one part each.
    static func push(_ sides: [[KilnServerProcess]], phase: Int, time: Int64) throws {
        var parts: [(KilnServerProcess) throws -> Void] = [
            { server in
                try ConnectClient(server: server).push([
                    ([("__name__", "process_cpu"), ("service_name", "svc-1")], [try TestData.bytes("pprof/go-cpu.pb.gz")])
                ])
            }
        ]
        if phase == 1 {
            parts.append { server in
                try ConnectClient(server: server).push([
                    ([("__name__", "memory"), ("service_name", "svc-1")], [try TestData.bytes("pprof/go-heap.pb.gz")]),
                    ([("__name__", "goroutine"), ("service_name", "svc-2")], [try TestData.bytes("pprof/go-goroutine.pb.gz")]),
                ])
            }
        }
        for service in ["svc-3", "svc-4"] {
            parts.append { server in
                let folded = "main;serve;handle \(100 * phase)\nmain;serve;encode 30\nmain;gc \(7 * phase)\n"
                let r = try server.post(
                    "/ingest?name=\(service).cpu%7Bphase%3D\(phase)%7D&from=\(time)&until=\(time + 10)&format=folded",
                    headers: [("Content-Type", "text/plain")], body: Array(folded.utf8))
                #expect(r.status == 200, "\(r.text)")
            }
        }
        for side in sides {
            for (i, part) in parts.enumerated() { try part(side[i % side.count]) }
        }
    }

    static func flush(_ server: KilnServerProcess) throws {
        let r = try server.post("/ingester/flush", body: [])
        #expect(r.status == 200, "\(r.text)")
    }

    /// The value of an unlabelled counter or gauge in `/metrics`, 0 when absent.
    static func metric(_ server: KilnServerProcess, _ name: String) throws -> Double {
        let text = try server.get("/metrics").text
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) } ?? 0
    }

    @Test func ingesterAndQuerierAnswerAsOneProcess() async throws {
        let moto = try MotoServer(checkSignatures: false)
        defer { moto.stop() }
        func s3(_ prefix: String) -> [String] {
            [
                "--storage.backend", "s3", "--storage.s3.endpoint", moto.endpoint, "--storage.s3.bucket", moto.bucket, "--storage.s3.prefix", prefix,
                "--storage.s3.access-key", moto.accessKey, "--storage.s3.secret-key", moto.secretKey, "--storage.s3.force-path-style",
            ]
        }
        let single = try KilnServerProcess(arguments: s3("single/") + ["--head.check-interval", "1"])
        defer { single.stop() }
        let ingesterArguments = [[], ["--ingester.id", "b"]].map { id in
            s3("split/") + id + ["--target", "ingester", "--head.check-interval", "1", "--storage.upload-grace-period", "0"]
        }
        var ingesters = try ingesterArguments.map { try KilnServerProcess(arguments: $0) }
        defer { for i in ingesters { i.stop() } }
        let querier = try KilnServerProcess(
            arguments: s3("split/") + [
                "--target", "querier", "--querier.ingesters", ingesters.map(\.baseURL).joined(separator: ","), "--head.check-interval", "3600",
            ])
        defer { querier.stop() }
        let ingester = ingesters[0]

        // Each process serves its own module's routes only.
        #expect(
            try querier.post("/push.v1.PusherService/Push", headers: [("Content-Type", "application/json")], body: Array("{}".utf8)).status == 404)
        #expect(try querier.post("/ingester/flush", body: []).status == 404)
        #expect(
            try ingester.post("/querier.v1.QuerierService/ProfileTypes", headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
                .status == 404)

        func expectSameAnswers(_ stage: String) throws {
            let want = try Self.answers(single)
            let got = try Self.answers(querier)
            for (w, g) in zip(want, got) { #expect(g == w, "\(stage)") }
            #expect(want.count == got.count)
        }

        try Self.push([[single], ingesters], phase: 1, time: Self.phaseOne)
        try expectSameAnswers("heads only")

        for server in [single] + ingesters { try Self.flush(server) }
        try expectSameAnswers("a block just shipped, not yet listed by the querier")

        try Self.push([[single], ingesters], phase: 2, time: Self.phaseTwo)
        try expectSameAnswers("a block and the head")

        for server in [single] + ingesters { try Self.flush(server) }
        usleep(2_500_000)  // released by the ingesters' next pass: a bucket block only, unknown to the querier
        try expectSameAnswers("a block released to the bucket, not yet listed by the querier")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try ([single] + ingesters).contains(where: { try Self.metric($0, "kiln_compactions_total") < 1 }) {
            usleep(200_000)
        }
        for i in ingesters { #expect(try Self.metric(i, "kiln_compactions_total") >= 1, "\(i.log)") }
        try expectSameAnswers("after each ingester compacted a block the querier had listed")
        // The querier saw no error from the ingesters or the bucket on the way.
        #expect(!querier.log.contains("query failed"), "\(querier.log)")

        // Restarted (SIGTERM, same data directory and address), ingester b takes its lease back
        // and adopts its own blocks from the bucket, and no other's.
        let ownBlocks = try Self.metric(ingesters[1], "kiln_blocks")
        ingesters[1].stop()
        let restarted = try KilnServerProcess(arguments: ingesterArguments[1], dataDirectory: ingesters[1].dataDirectory, port: ingesters[1].port)
        ingesters.append(restarted)
        #expect(try Self.metric(restarted, "kiln_blocks") == ownBlocks && ownBlocks > 0, "\(restarted.log)")
        try expectSameAnswers("after ingester b restarted")

        // A second live process with id b, from another data directory, is refused at start.
        let impostorPath = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-impostor-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: impostorPath) }
        let impostor = try Subprocess.run(
            [
                KilnServerProcess.binaryURL.path, "--server.http-listen-address", "127.0.0.1",
                "--server.http-listen-port", "\(try FreePort.find())", "--storage.path", impostorPath,
            ]
                + ingesterArguments[1], timeoutSeconds: 60)
        #expect(
            impostor.status == 1 && (impostor.stdout + impostor.stderr).contains(#"ingester "b" is running from another data directory"#),
            "\(impostor.status): \(impostor.stdout)\(impostor.stderr)")

        // Another data directory takes the id over (its lease written over b's): b stops at its next renewal, exit 1.
        let bucket = S3ObjectStore(
            S3Config(
                endpoint: moto.endpoint, region: "us-east-1", bucket: moto.bucket, prefix: "split/",
                accessKey: moto.accessKey, secretKey: moto.secretKey))
        let usurper = IngesterLease.Record(id: "b", token: "another-data-directory", renewedAtMillis: 0)
        try await bucket.put(IngesterLease(store: bucket, identity: IngesterIdentity(id: "b", token: ""), timeout: .zero).key, try usurper.encoded())
        let stopBy = Date().addingTimeInterval(30)
        while Date() < stopBy, restarted.isRunning { usleep(100_000) }
        #expect(restarted.exitStatus == 1 && restarted.log.contains("stopping:"), "\(restarted.log)")

        // Two ingesters without ids would adopt the same blocks: the querier refuses to merge their answers.
        let twin = try KilnServerProcess(arguments: s3("twin/") + ["--target", "ingester"])
        defer { twin.stop() }
        let confused = try KilnServerProcess(
            arguments: s3("split/") + ["--target", "querier", "--querier.ingesters", "\(ingester.baseURL),\(twin.baseURL)"])
        defer { confused.stop() }
        let r = try confused.post("/querier.v1.QuerierService/ProfileTypes", headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
        #expect(
            r.status == 500 && r.text.contains("both run with no --ingester.id") && confused.log.contains("two ingesters answered with one id"),
            "\(r.status) \(r.text)")
    }

    /// Targets that cannot run as given stop the start with the reason.
    @Test func invalidTargetsFailAtStart() throws {
        let binary = KilnServerProcess.binaryURL.path
        let modules = try Subprocess.run([binary, "--modules"])
        #expect(modules.status == 0)
        for name in ["all", "ingester", "querier", "distributor", "compactor"] { #expect(modules.stdout.contains(name), "\(modules.stdout)") }
        for (args, reason) in [
            (["--target", "store"], "unknown"),
            (["--target", "distributor"], "runs as part of --target=ingester"),
            (["--target", "querier"], "needs --storage.backend=s3"),
            (
                [
                    "--target", "querier", "--storage.backend", "s3", "--storage.s3.bucket", "b", "--storage.s3.access-key", "a",
                    "--storage.s3.secret-key", "s",
                ], "needs --querier.ingesters"
            ),
            (["--target", "ingester", "--querier.ingesters", "http://127.0.0.1:1"], "only a querier"),
            (
                [
                    "--target", "querier", "--storage.backend", "s3", "--storage.s3.bucket", "b", "--storage.s3.access-key", "a",
                    "--storage.s3.secret-key", "s",
                    "--querier.ingesters", "http://127.0.0.1:1,http://127.0.0.1:1/",
                ], "listed twice"
            ),
            (
                [
                    "--target", "querier", "--storage.backend", "s3", "--storage.s3.bucket", "b", "--storage.s3.access-key", "a",
                    "--storage.s3.secret-key", "s",
                    "--querier.ingesters", "http://127.0.0.1:1", "--ingester.id", "a",
                ], "runs no ingester"
            ),
            (["--ingester.id", "a/b"], "must be 1 to 63 letters"),
        ] {
            let r = try Subprocess.run([binary] + args)
            #expect(r.status == 64, "\(args): \(r.stdout)\(r.stderr)")
            #expect((r.stdout + r.stderr).contains(reason), "\(args): \(r.stdout)\(r.stderr)")
        }
    }
}
