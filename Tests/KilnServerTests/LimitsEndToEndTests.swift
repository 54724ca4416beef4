import Foundation
import KilnCompression
import KilnPprof
import KilnProto
import KilnTestSupport
import Testing

/// Per-tenant limits on the daemon: each refusal is a 4xx or 429 whose
/// message names the limit, stores nothing, and leaves the daemon serving;
/// a tenant's `overrides:` in the config file replace the flags' defaults.
@Suite struct LimitsEndToEndTests {
    static let cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

    /// The error of a push that must fail.
    static func refusal(_ client: ConnectClient, _ series: [(labels: [(String, String)], profiles: [[UInt8]])]) -> ConnectClient.CallError? {
        do {
            try client.push(series)
            return nil
        } catch {
            return error as? ConnectClient.CallError
        }
    }

    /// A pprof with one sample whose stack is `depth` frames deep (f0 is the root).
    static func deepProfile(depth: Int) -> [UInt8] {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        b.addSample(stack: (0..<depth).map { "f\($0)" }, values: [70_000_000])
        b.addSample(stack: ["f0", "g"], values: [30_000_000])
        return PprofEncoder.encode(b.build(timeNanos: Int64(Date().timeIntervalSince1970) * 1_000_000_000, durationNanos: 10_000_000_000))
    }

    @Test func limitsRefuseWithTheirNameAndOverridesApply() throws {
        let goCPU = try TestData.bytes("pprof/go-cpu.pb.gz")
        let decoded = try PprofDecoder.decode(goCPU)
        let rawSize = try Gzip.decompress(goCPU).count
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("kiln.yaml")
        try """
        overrides:
          big:
            ingestion_rate_mb: 100
            ingestion_burst_size_mb: 100
            max_global_series_per_tenant: 0
            max_profile_stacktrace_samples: 0
            max_query_length: 0
        """.write(to: config, atomically: true, encoding: .utf8)
        // Burst: two go-cpu pushes and a half; the rate refills a push in ~1 h.
        let burstMB = Double(rawSize) * 2.5 / 1_048_576
        let server = try KilnServerProcess(arguments: [
            "--config.file", config.path,
            "--distributor.ingestion-rate-limit-mb", "\(Double(rawSize) / 3600 / 1_048_576)",
            "--distributor.ingestion-burst-size-mb", "\(burstMB)",
            "--validation.max-profile-stacktrace-samples", "\(decoded.sampleCount + 5)",
            "--validation.max-label-names-per-series", "14",
            "--validation.max-length-label-value", "64",
            "--validation.max-profile-stacktrace-depth", "10",
            "--ingester.max-global-series-per-tenant", "12",
            "--querier.max-query-length", "1h",
        ])
        let cpuLabels = [("__name__", "process_cpu"), ("service_name", "svc")]
        // Queries must be bounded (max_query_length): around go-cpu's collection time.
        let cpuMs = decoded.timeNanos / 1_000_000
        let (from, to) = (cpuMs - 60_000, cpuMs + 60_000)

        // Ingestion rate and burst: two pushes fit the burst, the third is refused.
        let rate = ConnectClient(server: server, tenant: "rate")
        try rate.push([(cpuLabels, [goCPU])])
        try rate.push([(cpuLabels, [goCPU])])
        let third = try #require(Self.refusal(rate, [(cpuLabels, [goCPU])]))
        #expect(third.status == 429 && third.body.contains("ingestion_rate_mb"), "\(third)")
        let tooBig = try #require(Self.refusal(rate, [(cpuLabels, [goCPU, goCPU, goCPU])]))
        #expect(tooBig.status == 429 && tooBig.body.contains("ingestion_burst_size_mb"), "\(tooBig)")
        #expect(try rate.flameGraph(Self.cpu, start: from, end: to).total == 2 * 9_910_000_000)

        // Samples per profile: a profile with more samples than the limit.
        let samples = ConnectClient(server: server, tenant: "samples")
        var many = decoded
        for i in 0..<10 {
            many.sampleLocations.append(contentsOf: many.locations(ofSample: i))
            many.sampleLocationOffsets.append(UInt32(many.sampleLocations.count))
            many.sampleValues.append(contentsOf: many.sampleValues[(i * 2)..<(i * 2 + 2)])
            many.sampleLabels.append(contentsOf: many.labels(ofSample: i))
            many.sampleLabelOffsets.append(UInt32(many.sampleLabels.count))
        }
        let tooMany = try #require(Self.refusal(samples, [(cpuLabels, [PprofEncoder.encode(many)])]))
        #expect(tooMany.status == 400 && tooMany.body.contains("max_profile_stacktrace_samples"), "\(tooMany)")

        // Label count and value length.
        let labels = ConnectClient(server: server, tenant: "labels")
        let extra = (0..<14).map { ("l\($0)", "v") }
        let tooManyLabels = try #require(Self.refusal(labels, [(cpuLabels + extra, [goCPU])]))
        #expect(tooManyLabels.status == 400 && tooManyLabels.body.contains("max_label_names_per_series"), "\(tooManyLabels)")
        let longValue = try #require(Self.refusal(labels, [(cpuLabels + [("env", String(repeating: "x", count: 65))], [goCPU])]))
        #expect(longValue.status == 400 && longValue.body.contains("max_label_value_length"), "\(longValue)")
        #expect(try labels.profileTypes().isEmpty)

        // Stack depth: truncated to the 10 frames nearest the root, nothing lost.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let depth = ConnectClient(server: server, tenant: "depth")
        try depth.push([(cpuLabels, [Self.deepProfile(depth: 40)])])
        let deep = try depth.flameGraph(Self.cpu, start: now - 600_000, end: now + 600_000)
        #expect(deep.total == 100_000_000)
        let nodes = try FlameGraphDecoder.decode(names: deep.names, levels: deep.levels.map(\.values))
        let deepest = (0..<10).map { "f\($0)" }.joined(separator: ";")
        #expect(nodes[deepest]?.selfValue == 70_000_000, "\(nodes.keys.sorted())")
        #expect(nodes.keys.allSatisfy { $0.split(separator: ";").count <= 10 })

        // Series per tenant: go-cpu makes 8 series (4 sample-label groups × 2 types); a second service would make 16.
        let series = ConnectClient(server: server, tenant: "series")
        try series.push([(cpuLabels, [goCPU])])
        let overSeries = try #require(Self.refusal(series, [([("__name__", "process_cpu"), ("service_name", "other")], [goCPU])]))
        #expect(overSeries.status == 429 && overSeries.body.contains("max_global_series_per_tenant"), "\(overSeries)")
        try series.push([(cpuLabels, [goCPU])])  // existing series are still accepted
        #expect(try series.flameGraph(Self.cpu, #"{service_name="other"}"#, start: from, end: to).total == 0)
        #expect(try series.flameGraph(Self.cpu, start: from, end: to).total == 2 * 9_910_000_000)

        // Query length: 1 h.
        do {
            _ = try series.flameGraph(Self.cpu, start: now - 2 * 3_600_000, end: now)
            Issue.record("a 2 h query passed a 1 h max_query_length")
        } catch let e as ConnectClient.CallError {
            #expect(e.status == 400 && e.body.contains("max_query_length") && e.body.contains("1h"), "\(e)")
        }
        do {
            _ = try series.flameGraph(Self.cpu)
            Issue.record("an unbounded query passed a 1 h max_query_length")
        } catch let e as ConnectClient.CallError {
            #expect(e.status == 400 && e.body.contains("unbounded"), "\(e)")
        }

        // The "big" tenant's overrides lift every one of these.
        let big = ConnectClient(server: server, tenant: "big")
        for i in 0..<4 { try big.push([([("__name__", "process_cpu"), ("service_name", "s\(i)")], [goCPU, PprofEncoder.encode(many)])]) }
        #expect(try big.flameGraph(Self.cpu).total > 4 * 9_910_000_000)
        #expect(server.isRunning)
    }

    @Test func aBadOverrideStopsTheStartNamingItsKey() throws {
        let path = NSTemporaryDirectory() + "kiln-overrides-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "overrides:\n  t1:\n    ingestion_rate_mbb: 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        var r = try Subprocess.run([KilnServerProcess.binaryURL.path, "--config.file", path, "--help"], timeoutSeconds: 30)
        #expect(r.status == 64 && r.stderr.contains("unknown key overrides.t1.ingestion_rate_mbb"), "\(r.stderr)")
        try "overrides:\n  t1:\n    max_query_length: soon\n".write(toFile: path, atomically: true, encoding: .utf8)
        r = try Subprocess.run([KilnServerProcess.binaryURL.path, "--config.file", path, "--help"], timeoutSeconds: 30)
        #expect(r.status == 64 && r.stderr.contains("key overrides.t1.max_query_length"), "\(r.stderr)")
    }
}
