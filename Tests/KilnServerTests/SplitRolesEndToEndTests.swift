import Foundation
import KilnTestSupport
import Testing

/// `--target=ingester` and `--target=querier` as two processes over one moto
/// bucket answer every query API exactly as one `--target=all` process given
/// the same pushes: with the data in the ingester's head only, in a block
/// just shipped (which the querier learns of only through a stale answer:
/// its own re-listing interval is an hour), in both a block and the head, in
/// a block shipped and already released to the bucket (grace 0) that the
/// querier has not listed, and after the ingester compacted a block the
/// querier had listed.
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
            ("LabelNames", "{}"),
            ("LabelValues", #"{"name":"service_name"}"#),
            ("Series", #"{"matchers":["{}"]}"#),
            ("SelectMergeStacktraces", #"{"profile_typeID":"\#(cpu)","label_selector":"{}",\#(range)}"#),
            ("SelectMergeStacktraces", #"{"profile_typeID":"\#(heap)","label_selector":"{service_name=\"svc-1\"}",\#(range)}"#),
            ("SelectMergeProfile", #"{"profile_typeID":"\#(cpu)","label_selector":"{service_name=~\"svc-.*\"}",\#(range)}"#),
            ("Diff", #"{"left":{"profile_typeID":"\#(cpu)","label_selector":"{service_name=\"svc-1\"}",\#(range)},"right":{"profile_typeID":"\#(cpu)","label_selector":"{service_name!=\"svc-1\"}",\#(range)}}"#),
            ("SelectSeries", #"{"profile_typeID":"\#(cpu)","label_selector":"{}",\#(range),"step":60,"group_by":["service_name"]}"#),
            ("SelectHeatmap", #"{"profile_typeID":"\#(cpu)","label_selector":"{}",\#(range),"step":3600}"#),
            ("AnalyzeQuery", #"{"query":"{}",\#(range)}"#),
            ("GetProfileStats", "{}"),
        ]
        var out = try requests.map { method, body in
            let r = try server.post("/querier.v1.QuerierService/" + method, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
            #expect(r.status == 200, "\(method): \(r.text)")
            return "\(method): \(r.text)"
        }
        let render = try server.get("/pyroscope/render?query=\(cpu)%7B%7D&from=1&until=4000000000&groupBy=service_name&format=json")
        out.append("render: \(render.status) \(render.text)")
        return out
    }

    /// The same pushes to both: real Go profiles over Connect, folded stacks at `time` over /ingest.
    static func push(_ servers: [KilnServerProcess], phase: Int, time: Int64) throws {
        for server in servers {
            let client = ConnectClient(server: server)
            try client.push([([("__name__", "process_cpu"), ("service_name", "svc-1")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
            if phase == 1 {
                try client.push([
                    ([("__name__", "memory"), ("service_name", "svc-1")], [try TestData.bytes("pprof/go-heap.pb.gz")]),
                    ([("__name__", "goroutine"), ("service_name", "svc-2")], [try TestData.bytes("pprof/go-goroutine.pb.gz")]),
                ])
            }
            let folded = "main;serve;handle \(100 * phase)\nmain;serve;encode 30\nmain;gc \(7 * phase)\n"
            let r = try server.post("/ingest?name=svc-3.cpu%7Bphase%3D\(phase)%7D&from=\(time)&until=\(time + 10)&format=folded",
                                    headers: [("Content-Type", "text/plain")], body: Array(folded.utf8))
            #expect(r.status == 200, "\(r.text)")
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

    @Test(.enabled(if: MotoServer.available)) func ingesterAndQuerierAnswerAsOneProcess() throws {
        let moto = try MotoServer(checkSignatures: false)
        defer { moto.stop() }
        func s3(_ prefix: String) -> [String] {
            ["--storage.backend", "s3", "--storage.s3.endpoint", moto.endpoint, "--storage.s3.bucket", moto.bucket, "--storage.s3.prefix", prefix,
             "--storage.s3.access-key", moto.accessKey, "--storage.s3.secret-key", moto.secretKey, "--storage.s3.force-path-style"]
        }
        let single = try KilnServerProcess(arguments: s3("single/") + ["--head.check-interval", "1"])
        defer { single.stop() }
        let ingester = try KilnServerProcess(arguments: s3("split/") + ["--target", "ingester", "--head.check-interval", "1",
                                                                             "--storage.upload-grace-period", "0"])
        defer { ingester.stop() }
        let querier = try KilnServerProcess(arguments: s3("split/") + [
            "--target", "querier", "--querier.ingesters", ingester.baseURL, "--head.check-interval", "3600",
        ])
        defer { querier.stop() }

        // Each process serves its own module's routes only.
        #expect(try querier.post("/push.v1.PusherService/Push", headers: [("Content-Type", "application/json")], body: Array("{}".utf8)).status == 404)
        #expect(try querier.post("/ingester/flush", body: []).status == 404)
        #expect(try ingester.post("/querier.v1.QuerierService/ProfileTypes", headers: [("Content-Type", "application/json")], body: Array("{}".utf8)).status == 404)

        func expectSameAnswers(_ stage: String) throws {
            let want = try Self.answers(single), got = try Self.answers(querier)
            for (w, g) in zip(want, got) { #expect(g == w, "\(stage)") }
            #expect(want.count == got.count)
        }

        try Self.push([single, ingester], phase: 1, time: Self.phaseOne)
        try expectSameAnswers("heads only")

        try Self.flush(single)
        try Self.flush(ingester)
        try expectSameAnswers("a block just shipped, not yet listed by the querier")

        try Self.push([single, ingester], phase: 2, time: Self.phaseTwo)
        try expectSameAnswers("a block and the head")

        try Self.flush(single)
        try Self.flush(ingester)
        usleep(2_500_000)  // released by the ingester's next pass: a bucket block only, unknown to the querier
        try expectSameAnswers("a block released to the bucket, not yet listed by the querier")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try Self.metric(ingester, "kiln_compactions_total") < 1 || Self.metric(single, "kiln_compactions_total") < 1 {
            usleep(200_000)
        }
        #expect(try Self.metric(ingester, "kiln_compactions_total") >= 1, "\(ingester.log)")
        try expectSameAnswers("after a compaction replaced a block the querier had listed")
        // The querier saw no error from the ingester or the bucket on the way.
        #expect(!querier.log.contains("query failed"), "\(querier.log)")
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
            (["--target", "querier", "--storage.backend", "s3", "--storage.s3.bucket", "b", "--storage.s3.access-key", "a", "--storage.s3.secret-key", "s"], "needs --querier.ingesters"),
            (["--target", "ingester", "--querier.ingesters", "http://127.0.0.1:1"], "only a querier"),
        ] {
            let r = try Subprocess.run([binary] + args)
            #expect(r.status == 64, "\(args): \(r.stdout)\(r.stderr)")
            #expect((r.stdout + r.stderr).contains(reason), "\(args): \(r.stdout)\(r.stderr)")
        }
    }
}
