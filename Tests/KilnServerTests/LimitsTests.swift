import Foundation
import KilnCompression
import KilnPprof
import KilnProto
import KilnServer
import KilnTestSupport
import Testing

/// Per-tenant limits, in process: each refusal is a 4xx or 429 whose
/// message names the limit and stores nothing; a tenant's overrides replace
/// the defaults. (How flags and the config file's `overrides:` become these
/// limits: kilnTests' `InvocationTests`.)
@Suite struct LimitsTests {
    static let cpu = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

    /// A pprof with one sample whose stack is `depth` frames deep (f0 is the root).
    static func deepProfile(depth: Int) -> [UInt8] {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        b.addSample(stack: (0..<depth).map { "f\($0)" }, values: [70_000_000])
        b.addSample(stack: ["f0", "g"], values: [30_000_000])
        return PprofEncoder.encode(b.build(timeNanos: Int64(Date().timeIntervalSince1970) * 1_000_000_000, durationNanos: 10_000_000_000))
    }

    @Test func limitsRefuseWithTheirNameAndOverridesApply() async throws {
        let goCPU = try TestData.bytes("pprof/go-cpu.pb.gz")
        let decoded = try PprofDecoder.decode(goCPU)
        let rawSize = try Gzip.decompress(goCPU).count
        // Burst: two go-cpu pushes and a half; the rate refills a push in ~1 h.
        var defaults = Limits()
        defaults.ingestionRateMB = Double(rawSize) / 3600 / 1_048_576
        defaults.ingestionBurstSizeMB = Double(rawSize) * 2.5 / 1_048_576
        defaults.ingest.maxProfileSamples = decoded.sampleCount + 5
        defaults.ingest.maxLabelNamesPerSeries = 14
        defaults.ingest.maxLabelValueLength = 64
        defaults.ingest.maxStackDepth = 10
        defaults.maxSeriesPerTenant = 12
        defaults.maxQueryLengthNanos = 3_600_000_000_000
        // The config file's `overrides:` for "big" (kilnTests reads the file into this).
        var big = defaults
        (big.ingestionRateMB, big.ingestionBurstSizeMB, big.maxSeriesPerTenant) = (100, 100, 0)
        (big.ingest.maxProfileSamples, big.maxQueryLengthNanos) = (0, 0)
        var config = ServerConfig()
        config.limits = TenantLimits(defaults: defaults, overrides: ["big": big])
        try await InProcessServer(config: config).run { server in
            try await Self.refuseAndOverride(server, goCPU: goCPU, decoded: decoded)
        }
    }

    static func refuseAndOverride(_ server: InProcessServer.Client, goCPU: [UInt8], decoded: Profile) async throws {
        let cpuLabels = [("__name__", "process_cpu"), ("service_name", "svc")]
        // Queries must be bounded (max_query_length): around go-cpu's collection time.
        let cpuMs = decoded.timeNanos / 1_000_000
        let (from, to) = (cpuMs - 60_000, cpuMs + 60_000)

        // Ingestion rate and burst: two pushes fit the burst, the third is refused.
        let rate = server.tenant("rate")
        try await rate.push([(cpuLabels, [goCPU])])
        try await rate.push([(cpuLabels, [goCPU])])
        let third = try #require(await rate.refusal([(cpuLabels, [goCPU])]))
        #expect(third.status == 429 && third.body.contains("ingestion_rate_mb"), "\(third)")
        let tooBig = try #require(await rate.refusal([(cpuLabels, [goCPU, goCPU, goCPU])]))
        #expect(tooBig.status == 429 && tooBig.body.contains("ingestion_burst_size_mb"), "\(tooBig)")
        #expect(try await rate.flameGraph(Self.cpu, start: from, end: to).total == 2 * 9_910_000_000)

        // Samples per profile: a profile with more samples than the limit.
        let samples = server.tenant("samples")
        var many = decoded
        for i in 0..<10 {
            many.sampleLocations.append(contentsOf: many.locations(ofSample: i))
            many.sampleLocationOffsets.append(UInt32(many.sampleLocations.count))
            many.sampleValues.append(contentsOf: many.sampleValues[(i * 2)..<(i * 2 + 2)])
            many.sampleLabels.append(contentsOf: many.labels(ofSample: i))
            many.sampleLabelOffsets.append(UInt32(many.sampleLabels.count))
        }
        let tooMany = try #require(await samples.refusal([(cpuLabels, [PprofEncoder.encode(many)])]))
        #expect(tooMany.status == 400 && tooMany.body.contains("max_profile_stacktrace_samples"), "\(tooMany)")

        // Label count and value length.
        let labels = server.tenant("labels")
        let extra = (0..<14).map { ("l\($0)", "v") }
        let tooManyLabels = try #require(await labels.refusal([(cpuLabels + extra, [goCPU])]))
        #expect(tooManyLabels.status == 400 && tooManyLabels.body.contains("max_label_names_per_series"), "\(tooManyLabels)")
        let longValue = try #require(await labels.refusal([(cpuLabels + [("env", String(repeating: "x", count: 65))], [goCPU])]))
        #expect(longValue.status == 400 && longValue.body.contains("max_label_value_length"), "\(longValue)")
        #expect(try await labels.profileTypes().isEmpty)

        // Stack depth: truncated to the 10 frames nearest the root, nothing lost.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let depth = server.tenant("depth")
        try await depth.push([(cpuLabels, [Self.deepProfile(depth: 40)])])
        let deep = try await depth.flameGraph(Self.cpu, start: now - 600_000, end: now + 600_000)
        #expect(deep.total == 100_000_000)
        let nodes = try FlameGraphDecoder.decode(names: deep.names, levels: deep.levels.map(\.values))
        let deepest = (0..<10).map { "f\($0)" }.joined(separator: ";")
        #expect(nodes[deepest]?.selfValue == 70_000_000, "\(nodes.keys.sorted())")
        #expect(nodes.keys.allSatisfy { $0.split(separator: ";").count <= 10 })

        // Series per tenant: go-cpu makes 8 series (4 sample-label groups × 2 types); a second service would make 16.
        let series = server.tenant("series")
        try await series.push([(cpuLabels, [goCPU])])
        let overSeries = try #require(await series.refusal([([("__name__", "process_cpu"), ("service_name", "other")], [goCPU])]))
        #expect(overSeries.status == 429 && overSeries.body.contains("max_global_series_per_tenant"), "\(overSeries)")
        try await series.push([(cpuLabels, [goCPU])])  // existing series are still accepted
        #expect(try await series.flameGraph(Self.cpu, #"{service_name="other"}"#, start: from, end: to).total == 0)
        #expect(try await series.flameGraph(Self.cpu, start: from, end: to).total == 2 * 9_910_000_000)

        // Query length: 1 h.
        do {
            _ = try await series.flameGraph(Self.cpu, start: now - 2 * 3_600_000, end: now)
            Issue.record("a 2 h query passed a 1 h max_query_length")
        } catch let e as ConnectClient.CallError {
            #expect(e.status == 400 && e.body.contains("max_query_length") && e.body.contains("1h"), "\(e)")
        }
        // A range far longer than the limit (30 days) names both lengths; a query without a range is refused before this.
        do {
            _ = try await series.flameGraph(Self.cpu, start: now - 30 * 86_400_000, end: now)
            Issue.record("a 30 d query passed a 1 h max_query_length")
        } catch let e as ConnectClient.CallError {
            #expect(
                e.status == 400 && e.body.contains("the query time range (30d) exceeds the limit max_query_length (1h)"), "\(e)")
        }

        // The "big" tenant's overrides lift every one of these.
        let big = server.tenant("big")
        for i in 0..<4 { try await big.push([([("__name__", "process_cpu"), ("service_name", "s\(i)")], [goCPU, PprofEncoder.encode(many)])]) }
        #expect(try await big.flameGraph(Self.cpu).total > 4 * 9_910_000_000)
    }
}
