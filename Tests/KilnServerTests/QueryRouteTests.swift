import KilnPprof
import KilnProto
import KilnServer
import KilnTestSupport
import Testing

/// Query budgets, in process: `--query.max-samples` refuses a merge that
/// is too large with 400 and the limit's name; a malformed
/// `Connect-Timeout-Ms` is 400; a valid one is honoured without harm.
@Suite struct QueryBudgetRouteTests {
    @Test func budgetsAnswerWithClearErrors() async throws {
        var config = ServerConfig()
        config.queryMaxSamples = 10
        try await InProcessServer(config: config).run { server in
            try await server.push([([("__name__", "process_cpu"), ("service_name", "a")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
            let body = Array(
                #"{"profile_typeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","label_selector":"{}","start":1,"end":4000000000000}"#.utf8)
            let json = ("Content-Type", "application/json")
            let tooLarge = try await server.post("/querier.v1.QuerierService/SelectMergeStacktraces", headers: [json], body: body)
            #expect(
                tooLarge.status == 400 && tooLarge.text.contains("more than the limit of 10 ") && tooLarge.text.contains("invalid_argument"),
                "\(tooLarge.status) \(tooLarge.text)")
            let badTimeout = try await server.post(
                "/querier.v1.QuerierService/LabelNames", headers: [json, ("Connect-Timeout-Ms", "soon")],
                body: Array(#"{"start":1,"end":4102444800000}"#.utf8))
            #expect(badTimeout.status == 400 && badTimeout.text.contains("Connect-Timeout-Ms"), "\(badTimeout.text)")
            let withTimeout = try await server.post(
                "/querier.v1.QuerierService/LabelNames", headers: [json, ("Connect-Timeout-Ms", "5000")],
                body: Array(#"{"start":1,"end":4102444800000}"#.utf8))
            #expect(withTimeout.status == 200, "\(withTimeout.text)")
        }
    }
}

/// Trace-to-profile links, in process: samples carrying `span_id` labels,
/// one push in a block and one in the head, selected by span through
/// `SelectMergeSpanProfile` and `SelectMergeStacktraces.span_selector`.
@Suite struct SpanProfileTests {
    @Test func spanSelectorKeepsTheSpansSamples() async throws {
        try await InProcessServer.withStorage { client, _ in
            let (spanA, spanB) = ("0102030405060708", "a1a2a3a4a5a6a7a8")
            func profile(_ timeNanos: Int64) -> [UInt8] {
                var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
                b.addSample(stack: ["main", "handle", "query"], values: [30_000_000], labels: [("span_id", spanA)])
                b.addSample(stack: ["main", "handle", "render"], values: [20_000_000], labels: [("span_id", spanB), ("endpoint", "/x")])
                b.addSample(stack: ["main", "gc"], values: [50_000_000])
                return PprofEncoder.encode(b.build(timeNanos: timeNanos, durationNanos: 10_000_000_000))
            }
            let t: Int64 = 1_763_800_000_000_000_000
            try await client.push([([("__name__", "process_cpu"), ("service_name", "api")], [profile(t)])])
            #expect(try await client.post("/ingester/flush", body: []).status == 200)
            try await client.push([([("__name__", "process_cpu"), ("service_name", "api")], [profile(t + 15_000_000_000)])])

            var r = Querier_V1_SelectMergeSpanProfileRequest()
            r.profileTypeID = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
            r.labelSelector = #"{service_name="api"}"#
            r.start = t / 1_000_000 - 60_000
            r.end = t / 1_000_000 + 60_000
            r.spanSelector = [spanA]
            let a: Querier_V1_SelectMergeSpanProfileResponse = try await client.call("/querier.v1.QuerierService/SelectMergeSpanProfile", r)
            #expect(a.flamegraph.total == 60_000_000 && a.flamegraph.names.contains("query") && !a.flamegraph.names.contains("render"))
            r.spanSelector = [spanA, spanB]
            let both: Querier_V1_SelectMergeSpanProfileResponse = try await client.call("/querier.v1.QuerierService/SelectMergeSpanProfile", r)
            #expect(both.flamegraph.total == 100_000_000 && !both.flamegraph.names.contains("gc"))

            // The same through SelectMergeStacktraces; without a selector, every sample.
            var m = Querier_V1_SelectMergeStacktracesRequest()
            (m.profileTypeID, m.labelSelector, m.start, m.end, m.spanSelector) = (r.profileTypeID, r.labelSelector, r.start, r.end, [spanB])
            let b: Querier_V1_SelectMergeStacktracesResponse = try await client.call("/querier.v1.QuerierService/SelectMergeStacktraces", m)
            #expect(b.flamegraph.total == 40_000_000)
            m.spanSelector = []
            let all: Querier_V1_SelectMergeStacktracesResponse = try await client.call("/querier.v1.QuerierService/SelectMergeStacktraces", m)
            #expect(all.flamegraph.total == 200_000_000)

            // SelectHeatmap by span, with exemplars: spans A (30 ms per push) and B (20 ms) in each 15 s slot.
            var h = Querier_V1_SelectHeatmapRequest()
            (h.profileTypeID, h.labelSelector, h.start, h.end, h.step) = (r.profileTypeID, "{}", t / 1_000_000 - 15_000, t / 1_000_000 + 30_000, 15)
            (h.queryType, h.exemplarType) = (.span, .span)
            let heat: Querier_V1_SelectHeatmapResponse = try await client.call("/querier.v1.QuerierService/SelectHeatmap", h)
            let slots = heat.series.flatMap(\.slots)
            #expect(heat.series.count == 1 && slots.count == 2 && slots.allSatisfy { $0.counts.reduce(0, +) == 2 }, "\(heat)")
            #expect(slots.allSatisfy { $0.exemplars.first?.spanID == spanA && $0.exemplars.first?.value == 30_000_000 }, "\(heat)")
            h.queryType = .individual
            let perProfile: Querier_V1_SelectHeatmapResponse = try await client.call("/querier.v1.QuerierService/SelectHeatmap", h)
            // Per profile: each push is two, as its `endpoint` sample label split it into two series.
            #expect(perProfile.series.flatMap(\.slots).map { $0.counts.reduce(0, +) } == [2, 2], "\(perProfile)")

            // A malformed span id: 400 naming it.
            r.spanSelector = ["xyz"]
            do {
                let _: Querier_V1_SelectMergeSpanProfileResponse = try await client.call("/querier.v1.QuerierService/SelectMergeSpanProfile", r)
            } catch let e as ConnectClient.CallError {
                #expect(e.status == 400 && e.body.contains("xyz"), "\(e)")
            }
        }
    }
}
