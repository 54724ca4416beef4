import Foundation
import KilnCompression
import KilnIngest
import KilnModel
import KilnPprof
import KilnProto
import KilnServer
import KilnTestSupport
import Testing

/// Kiln's routes, in process, fed the real profiles and queried over Connect
/// as Grafana's Pyroscope data source does.
@Suite struct PushQueryTests {
    /// Which `__name__` each Go runtime profile is pushed under (as Alloy names them).
    static let goNames = [
        "go-cpu.pb.gz": "process_cpu", "go-heap.pb.gz": "memory", "go-allocs.pb.gz": "memory",
        "go-goroutine.pb.gz": "goroutine", "go-mutex.pb.gz": "mutex", "go-block.pb.gz": "block",
    ]

    /// An independent reading of a pprof: per profile type ID, the sum of
    /// values and the self value of each leaf function name.
    struct Expected {
        var total: Int64 = 0
        var selfByName: [String: Int64] = [:]
    }

    static func expected(_ p: Profile, name: String) -> [String: Expected] {
        var out: [String: Expected] = [:]
        let period = p.periodType.map { "\(p.strings[$0.type]):\(p.strings[$0.unit])" } ?? ":"
        for (t, st) in p.sampleTypes.enumerated() {
            let id = "\(name):\(p.strings[st.type]):\(p.strings[st.unit]):\(period)"
            var e = Expected()
            for i in 0..<p.sampleCount {
                let v = p.value(ofSample: i, type: t)
                e.total += v
                guard let first = p.locations(ofSample: i).first else { continue }  // empty stack: root self
                let leaf = Int(first)
                // The innermost inlined function is the leaf; no lines: named by address.
                let name =
                    p.lines(ofLocation: leaf).first.map { p.strings[p.functions[Int($0.functionIndex)].name] }
                    ?? "0x" + String(p.locations[leaf].address, radix: 16)
                e.selfByName[name, default: 0] += v
            }
            out[id] = e
        }
        return out
    }

    /// Self per node name summed over the whole decoded flame graph.
    static func selfByName(_ g: Querier_V1_FlameGraph) throws -> [String: Int64] {
        let nodes = try FlameGraphDecoder.decode(names: g.names, levels: g.levels.map(\.values))
        var out: [String: Int64] = [:]
        for (path, node) in nodes where !path.isEmpty && node.selfValue != 0 {
            out[String(path.split(separator: ";").last!), default: 0] += node.selfValue
        }
        return out
    }

    /// `p` with every value halved (rounded down), `seconds` earlier: what
    /// the same process reported before, for cumulative types.
    static func earlier(_ p: Profile, seconds: Int64) -> Profile {
        var q = p
        q.sampleValues = p.sampleValues.map { $0 / 2 }
        q.timeNanos = p.timeNanos - seconds * 1_000_000_000
        return q
    }

    @Test func pushRealGoProfilesThenQueryEverything() async throws {
        try await InProcessServer().run { client in try await Self.pushRealGoProfilesThenQueryEverything(client) }
    }

    static func pushRealGoProfilesThenQueryEverything(_ client: InProcessServer.Client) async throws {
        // Per profile type ID: the expected figures and the time of the profile they come from.
        var expected: [String: (e: Expected, time: Int64, earlier: Int64, cumulative: Bool)] = [:]
        var times: [Int64] = []
        var pushes: [(labels: [(String, String)], profiles: [[UInt8]])] = []
        for (file, name) in Self.goNames.sorted(by: { $0.key < $1.key }) {
            let bytes = try TestData.bytes("pprof/" + file)
            let p = try PprofDecoder.decode(bytes)
            times.append(p.timeNanos / 1_000_000)
            // heap and allocs both become memory:*: push them under different services.
            let service = file == "go-allocs.pb.gz" ? "allocs-svc" : "go-svc"
            // Each profile is pushed after an earlier one with half its values, as
            // an agent does; the cumulative types (alloc_*, mutex, block) then
            // store the difference, the others (inuse_*, CPU, goroutines) both.
            let before = Self.earlier(p, seconds: 15)
            pushes.append(([("__name__", name), ("service_name", service), ("env", "e2e")], [PprofEncoder.encode(before), bytes]))
            guard file != "go-allocs.pb.gz" else { continue }
            var difference = p
            difference.sampleValues = zip(p.sampleValues, before.sampleValues).map { $0 - $1 }
            let whole = Self.expected(p, name: name)
            let earlier = Self.expected(before, name: name)
            for (id, e) in Self.expected(difference, name: name) {
                let cumulative = SeriesLabels.isCumulative(name: name, sampleType: try ProfileTypeID(parsing: id).sampleType)
                expected[id] = (cumulative ? e : whole[id]!, p.timeNanos / 1_000_000, earlier[id]!.total, cumulative)
            }
        }
        try await client.push(pushes)

        let types = try await client.profileTypes()
        #expect(types == types.sorted())
        #expect(Set(types).isSuperset(of: expected.keys))
        #expect(types.contains("process_cpu:cpu:nanoseconds:cpu:nanoseconds"))
        #expect(types.contains("memory:inuse_space:bytes:space:bytes"))

        for (id, (e, time, earlier, cumulative)) in expected {
            // Only the later profile's time: the earlier one is a baseline (cumulative types) or outside.
            let g = try await client.flameGraph(id, #"{service_name="go-svc"}"#, start: time - 1000, end: time + 1000)
            #expect(g.total == e.total, "\(id)")
            #expect(g.total > 0, "\(id)")
            #expect(g.names.first == "total")
            // The heaviest frames agree with the independent computation.
            let got = try Self.selfByName(g)
            let top = e.selfByName.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(5)
            for (name, value) in top where value != 0 { #expect(got[name] == value, "\(id) \(name)") }
            let nodes = try FlameGraphDecoder.decode(names: g.names, levels: g.levels.map(\.values))
            #expect(g.maxSelf == nodes.values.map(\.selfValue).max())
            // The earlier profile of a cumulative type only set the baseline.
            let all = try await client.flameGraph(id, #"{service_name="go-svc"}"#, start: time - 60_000, end: time + 1000)
            #expect(all.total == (cumulative ? e.total : e.total + earlier), "\(id)")
        }

        // Go CPU: the reference figures of `go tool pprof -top` (testdata/pprof/go-cpu.top.txt).
        let cpuTime = try PprofDecoder.decode(TestData.bytes("pprof/go-cpu.pb.gz")).timeNanos / 1_000_000
        let cpu = try await client.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds", start: cpuTime - 1000, end: cpuTime + 1000)
        #expect(cpu.total == 9_910_000_000)
        #expect(try Self.selfByName(cpu)["crypto/sha256.block"] == 3_160_000_000)

        // Label APIs agree with what was pushed.
        var names = Types_V1_LabelNamesRequest()
        names.matchers = [#"{env="e2e"}"#]
        names.start = ConnectClient.allTime.start
        names.end = ConnectClient.allTime.end
        let gotNames: Types_V1_LabelNamesResponse = try await client.call("/querier.v1.QuerierService/LabelNames", names)
        #expect(gotNames.names == gotNames.names.sorted())
        #expect(Set(gotNames.names).isSuperset(of: ["__name__", "__profile_type__", "env", "service_name", "__service_name__"]))
        var values = Types_V1_LabelValuesRequest()
        values.name = "service_name"
        values.start = ConnectClient.allTime.start
        values.end = ConnectClient.allTime.end
        let gotValues: Types_V1_LabelValuesResponse = try await client.call("/querier.v1.QuerierService/LabelValues", values)
        #expect(gotValues.names == ["allocs-svc", "go-svc"])
        values.name = "__name__"
        values.matchers = [#"{service_name="go-svc"}"#]
        let gotProfileNames: Types_V1_LabelValuesResponse = try await client.call("/querier.v1.QuerierService/LabelValues", values)
        #expect(gotProfileNames.names == ["block", "goroutine", "memory", "mutex", "process_cpu"])
        var series = Querier_V1_SeriesRequest()
        series.matchers = [#"{__name__="memory"}"#]
        series.start = ConnectClient.allTime.start
        series.end = ConnectClient.allTime.end
        series.labelNames = ["__profile_type__", "service_name"]
        let gotSeries: Querier_V1_SeriesResponse = try await client.call("/querier.v1.QuerierService/Series", series)
        #expect(gotSeries.labelsSet.count == 8)  // 4 memory types × 2 services
        #expect(gotSeries.labelsSet.allSatisfy { $0.labels.map(\.name) == ["__profile_type__", "service_name"] })

        // Time series: one point per profile, equal to its total, at the bucket right edge.
        let earlierCPU = try Self.expected(
            Self.earlier(PprofDecoder.decode(TestData.bytes("pprof/go-cpu.pb.gz")), seconds: 15),
            name: "process_cpu")["process_cpu:cpu:nanoseconds:cpu:nanoseconds"]!.total
        let start = cpuTime - 60_000
        let ts = try await client.series(
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds", start: start, end: cpuTime + 60_000, step: 15, groupBy: ["service_name"])
        #expect(ts.count == 1)
        #expect(ts.first?.labels.map(\.name) == ["service_name"])
        #expect(ts.first?.points.map(\.value) == [Double(earlierCPU), 9_910_000_000])
        let k = (cpuTime - start + 14_999) / 15_000
        #expect(ts.first?.points.last?.timestamp == start + k * 15_000)

        // max_nodes truncation keeps the total and folds the tail into "other".
        let small = try await client.flameGraph(
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds", start: cpuTime - 1000, end: cpuTime + 1000, maxNodes: 10)
        #expect(small.total == 9_910_000_000)
        #expect(small.names.contains("other"))
        _ = try FlameGraphDecoder.decode(names: small.names, levels: small.levels.map(\.values))
    }

    /// The request bodies the pyroscope-io agent sent, replayed byte for byte
    /// with their headers: gzip Content-Encoding, the tenant header.
    @Test func replayCapturedAgentPushes() async throws {
        try await InProcessServer().run { server in try await Self.replayCapturedAgentPushes(server) }
    }

    static func replayCapturedAgentPushes(_ server: InProcessServer.Client) async throws {
        let body = try TestData.bytes("push/pyroscope-io-1.4.0-push-cpu-mem.connect-body.gz")
        let r = try await server.post(
            "/push.v1.PusherService/Push",
            headers: [
                ("Content-Type", "application/proto"), ("Content-Encoding", "gzip"), ("X-Scope-OrgID", "tenant-a"),
                ("Authorization", "Basic dXNlcjpwYXNz"), ("User-Agent", "pyroscope-rs/pyspy/1.4.0 reqwest"),
            ], body: body)
        #expect(r.status == 200, "\(r.text)")
        let tenantA = server.tenant("tenant-a")
        let types = try await tenantA.profileTypes()
        #expect(types.contains("process_cpu:cpu:nanoseconds:cpu:nanoseconds"))
        #expect(types.contains("memory:inuse_space:bytes:space:bytes"))
        // Independent reading of the same body: decode the PushRequest with swift-protobuf.
        let push = try Push_V1_PushRequest(serializedBytes: Gzip.decompress(body))
        var expectedTotal: Int64 = 0
        for s in push.series where s.labels.contains(where: { $0.name == "__name__" && $0.value == "process_cpu" }) {
            for sample in s.samples {
                let g = try Google_V1_Profile(serializedBytes: Array(sample.rawProfile))
                expectedTotal += g.sample.reduce(0) { $0 + $1.value[0] }
            }
        }
        #expect(expectedTotal > 0)
        #expect(try await tenantA.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds").total == expectedTotal)
        // Tenants are isolated: the anonymous tenant sees nothing.
        #expect(try await server.profileTypes().isEmpty)
        #expect(try await server.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds").total == 0)
    }

    /// `POST /ingest` as pyroscope-go sends it (multipart pprof), folded text with sampleRate scaling, speedscope and lines.
    @Test func legacyIngest() async throws {
        try await InProcessServer().run { client in try await Self.legacyIngest(client) }
    }

    static func legacyIngest(_ client: InProcessServer.Client) async throws {
        let pprof = try TestData.bytes("pprof/go-cpu.pb.gz")
        let (ct, body) = MultipartBody.make([("profile", "profile.pprof", pprof)])
        let now = Int64(Date().timeIntervalSince1970)
        let name = "goapp{__session_id__=0123456789abcdef,otel.scope.name=com.grafana.pyroscope/go}"
            .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        var r = try await client.post(
            "/ingest?name=\(name)&from=\(now - 10)000000000&until=\(now)000000000&spyName=gospy&sampleRate=100&units=samples&aggregationType=sum",
            headers: [("Content-Type", ct)], body: body)
        #expect(r.status == 200, "\(r.text)")
        let g = try await client.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="goapp"}"#)
        #expect(g.total == 9_910_000_000)

        // Folded, 100 Hz: each sample is 10 ms of CPU.
        let folded = "main;handler;work 7\nmain;idle 3\n"
        r = try await client.post(
            "/ingest?name=pyapp.cpu%7Benv%3Dprod%7D&from=\(now - 10)&until=\(now)&spyName=pyspy&sampleRate=100",
            headers: [("Content-Type", "text/plain")], body: Array(folded.utf8))
        #expect(r.status == 200, "\(r.text)")
        let f = try await client.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="pyapp",env="prod"}"#)
        #expect(f.total == 100_000_000)
        let nodes = try FlameGraphDecoder.decode(names: f.names, levels: f.levels.map(\.values))
        #expect(nodes["main;handler;work"]?.total == 70_000_000)
        // Time series over the folded upload: one point of 100 ms CPU.
        let ts = try await client.series(
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="pyapp"}"#,
            start: (now - 60) * 1000, end: (now + 60) * 1000, step: 15)
        #expect(ts.first?.points.map(\.value) == [100_000_000])

        // speedscope, evented in milliseconds: 12 ms of CPU, each stack's own time in nanoseconds.
        r = try await client.post(
            "/ingest?name=ssapp&format=speedscope&from=\(now - 10)&until=\(now)", headers: [("Content-Type", "application/json")],
            body: TestData.bytes("speedscope/evented-ms.speedscope.json"))
        #expect(r.status == 200, "\(r.text)")
        let s = try await client.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="ssapp",profile_name="main thread"}"#)
        #expect(s.total == 12_000_000)
        let speedscope = try FlameGraphDecoder.decode(names: s.names, levels: s.levels.map(\.values))
        #expect(speedscope["main;eval"]?.total == 6_250_000 && speedscope["main"]?.selfValue == 3_250_000)

        // lines format
        r = try await client.post(
            "/ingest?name=linesapp&format=lines&sampleRate=0", headers: [("Content-Type", "text/plain")], body: Array("a;b\na;b\nc\n".utf8))
        #expect(r.status == 200, "\(r.text)")
        #expect(try await client.flameGraph("process_cpu:samples:count::", #"{service_name="linesapp"}"#).total == 3)
    }
}
