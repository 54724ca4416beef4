import Foundation
import KilnPprof
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

/// `SelectMergeProfile` on the real daemon, read by the real `go tool pprof`:
/// the same Go CPU profile pushed by two services, one copy in a block
/// (flushed) and one in the head, merges to twice the reference figures of
/// `go tool pprof -top` on the original (testdata/pprof/go-cpu.top.txt).
@Suite struct MergeProfileEndToEndTests {
    @Test func goToolPprofReadsTheMergedProfile() throws {
        let server = try KilnServerProcess()
        let client = ConnectClient(server: server)
        let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
        try client.push([([("__name__", "process_cpu"), ("service_name", "a")], [cpu])])
        #expect(try server.post("/ingester/flush", body: []).status == 200)
        try client.push([([("__name__", "process_cpu"), ("service_name", "b")], [cpu])])

        var request = Querier_V1_SelectMergeProfileRequest()
        request.profileTypeID = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
        request.labelSelector = "{}"
        let merged: Google_V1_Profile = try client.call("/querier.v1.QuerierService/SelectMergeProfile", request)
        #expect(merged.sampleType.count == 1)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-merged-\(UUID().uuidString).pb")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(try merged.serializedBytes() as [UInt8]).write(to: file)
        let top = try Subprocess.run(["go", "tool", "pprof", "-top", "-nodecount=3", file.path], environment: ["HOME": NSTemporaryDirectory()])
        #expect(top.status == 0, "go tool pprof: \(top.stderr)")
        #expect(top.stdout.contains("19.82s total"), "\(top.stdout)")
        #expect(
            top.stdout.range(of: #"6\.32s\s+31\.89%\s+31\.89%\s+6\.32s\s+31\.89%\s+crypto/sha256\.block"#, options: .regularExpression) != nil,
            "\(top.stdout)")

        // One service only: the original figures.
        request.labelSelector = #"{service_name="b"}"#
        let one: Google_V1_Profile = try client.call("/querier.v1.QuerierService/SelectMergeProfile", request)
        try Data(try one.serializedBytes() as [UInt8]).write(to: file)
        let single = try Subprocess.run(["go", "tool", "pprof", "-top", "-nodecount=3", file.path], environment: ["HOME": NSTemporaryDirectory()])
        #expect(single.stdout.contains("9.91s total") && single.stdout.contains("crypto/sha256.block"), "\(single.stdout)")

        // Diff of the two services' identical profiles: the same tree on both sides.
        var diff = Querier_V1_DiffRequest()
        diff.left.profileTypeID = request.profileTypeID
        diff.left.labelSelector = #"{service_name="a"}"#
        diff.right = diff.left
        diff.right.labelSelector = #"{service_name="b"}"#
        let d: Querier_V1_DiffResponse = try client.call("/querier.v1.QuerierService/Diff", diff)
        #expect(d.flamegraph.leftTicks == 9_910_000_000 && d.flamegraph.rightTicks == 9_910_000_000 && d.flamegraph.total == 19_820_000_000)
        var sidesEqual = true
        for level in d.flamegraph.levels {
            let v: [Int64] = level.values
            for i in stride(from: 0, to: v.count, by: 7) where v[i + 1] != v[i + 4] || v[i + 2] != v[i + 5] { sidesEqual = false }
        }
        #expect(sidesEqual, "left and right totals and selves agree node by node")

        // AnalyzeQuery: the profile's four series (three `worker` label values and the unlabelled samples) in the head and in a block, from the index alone.
        var analyze = Querier_V1_AnalyzeQueryRequest()
        analyze.query = request.profileTypeID + "{}"
        let a: Querier_V1_AnalyzeQueryResponse = try client.call("/querier.v1.QuerierService/AnalyzeQuery", analyze)
        let scopes = Dictionary(uniqueKeysWithValues: a.queryScopes.map { ($0.componentType, $0) })
        let head = try #require(scopes["Short term storage"])
        let blocks = try #require(scopes["Long term storage"])
        #expect(head.seriesCount == 4 && head.profileCount == 4 && head.sampleCount > 0)
        #expect(
            blocks.blockCount == 1 && blocks.seriesCount == 4 && blocks.sampleCount == head.sampleCount && blocks.profileBytes > 0
                && blocks.indexBytes > 0)
        #expect(a.queryImpact.totalQueriedSeries == 8 && !a.queryImpact.deduplicationNeeded)

        // Nothing selected: an empty profile, 200.
        request.labelSelector = #"{service_name="none"}"#
        let empty: Google_V1_Profile = try client.call("/querier.v1.QuerierService/SelectMergeProfile", request)
        #expect(empty.sample.isEmpty)
    }
}

/// Query budgets on the daemon: `--query.max-samples` refuses a merge that
/// is too large with 400 and the limit's name; a malformed
/// `Connect-Timeout-Ms` is 400; a valid one is honoured without harm.
@Suite struct QueryBudgetEndToEndTests {
    @Test func budgetsAnswerWithClearErrors() throws {
        let server = try KilnServerProcess(arguments: ["--query.max-samples", "10"])
        try ConnectClient(server: server).push([([("__name__", "process_cpu"), ("service_name", "a")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
        let body = Array(
            #"{"profile_typeID":"process_cpu:cpu:nanoseconds:cpu:nanoseconds","label_selector":"{}","start":1,"end":4000000000000}"#.utf8)
        let json = ("Content-Type", "application/json")
        let tooLarge = try server.post("/querier.v1.QuerierService/SelectMergeStacktraces", headers: [json], body: body)
        #expect(
            tooLarge.status == 400 && tooLarge.text.contains("more than the limit of 10 ") && tooLarge.text.contains("invalid_argument"),
            "\(tooLarge.status) \(tooLarge.text)")
        let badTimeout = try server.post(
            "/querier.v1.QuerierService/LabelNames", headers: [json, ("Connect-Timeout-Ms", "soon")], body: Array("{}".utf8))
        #expect(badTimeout.status == 400 && badTimeout.text.contains("Connect-Timeout-Ms"), "\(badTimeout.text)")
        let withTimeout = try server.post(
            "/querier.v1.QuerierService/LabelNames", headers: [json, ("Connect-Timeout-Ms", "5000")], body: Array("{}".utf8))
        #expect(withTimeout.status == 200, "\(withTimeout.text)")
    }
}

/// Trace-to-profile links on the daemon: samples carrying `span_id` labels,
/// one push in a block and one in the head, selected by span through
/// `SelectMergeSpanProfile` and `SelectMergeStacktraces.span_selector`.
@Suite struct SpanProfileEndToEndTests {
    @Test func spanSelectorKeepsTheSpansSamples() throws {
        let server = try KilnServerProcess()
        let client = ConnectClient(server: server)
        let (spanA, spanB) = ("0102030405060708", "a1a2a3a4a5a6a7a8")
        func profile(_ timeNanos: Int64) -> [UInt8] {
            var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
            b.addSample(stack: ["main", "handle", "query"], values: [30_000_000], labels: [("span_id", spanA)])
            b.addSample(stack: ["main", "handle", "render"], values: [20_000_000], labels: [("span_id", spanB), ("endpoint", "/x")])
            b.addSample(stack: ["main", "gc"], values: [50_000_000])
            return PprofEncoder.encode(b.build(timeNanos: timeNanos, durationNanos: 10_000_000_000))
        }
        let t: Int64 = 1_763_800_000_000_000_000
        try client.push([([("__name__", "process_cpu"), ("service_name", "api")], [profile(t)])])
        #expect(try server.post("/ingester/flush", body: []).status == 200)
        try client.push([([("__name__", "process_cpu"), ("service_name", "api")], [profile(t + 15_000_000_000)])])

        var r = Querier_V1_SelectMergeSpanProfileRequest()
        r.profileTypeID = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
        r.labelSelector = #"{service_name="api"}"#
        r.start = t / 1_000_000 - 60_000
        r.end = t / 1_000_000 + 60_000
        r.spanSelector = [spanA]
        let a: Querier_V1_SelectMergeSpanProfileResponse = try client.call("/querier.v1.QuerierService/SelectMergeSpanProfile", r)
        #expect(a.flamegraph.total == 60_000_000 && a.flamegraph.names.contains("query") && !a.flamegraph.names.contains("render"))
        r.spanSelector = [spanA, spanB]
        let both: Querier_V1_SelectMergeSpanProfileResponse = try client.call("/querier.v1.QuerierService/SelectMergeSpanProfile", r)
        #expect(both.flamegraph.total == 100_000_000 && !both.flamegraph.names.contains("gc"))

        // The same through SelectMergeStacktraces; without a selector, every sample.
        var m = Querier_V1_SelectMergeStacktracesRequest()
        (m.profileTypeID, m.labelSelector, m.start, m.end, m.spanSelector) = (r.profileTypeID, r.labelSelector, r.start, r.end, [spanB])
        let b: Querier_V1_SelectMergeStacktracesResponse = try client.call("/querier.v1.QuerierService/SelectMergeStacktraces", m)
        #expect(b.flamegraph.total == 40_000_000)
        m.spanSelector = []
        let all: Querier_V1_SelectMergeStacktracesResponse = try client.call("/querier.v1.QuerierService/SelectMergeStacktraces", m)
        #expect(all.flamegraph.total == 200_000_000)

        // SelectHeatmap by span, with exemplars: spans A (30 ms per push) and B (20 ms) in each 15 s slot.
        var h = Querier_V1_SelectHeatmapRequest()
        (h.profileTypeID, h.labelSelector, h.start, h.end, h.step) = (r.profileTypeID, "{}", t / 1_000_000 - 15_000, t / 1_000_000 + 30_000, 15)
        (h.queryType, h.exemplarType) = (.span, .span)
        let heat: Querier_V1_SelectHeatmapResponse = try client.call("/querier.v1.QuerierService/SelectHeatmap", h)
        let slots = heat.series.flatMap(\.slots)
        #expect(heat.series.count == 1 && slots.count == 2 && slots.allSatisfy { $0.counts.reduce(0, +) == 2 }, "\(heat)")
        #expect(slots.allSatisfy { $0.exemplars.first?.spanID == spanA && $0.exemplars.first?.value == 30_000_000 }, "\(heat)")
        h.queryType = .individual
        let perProfile: Querier_V1_SelectHeatmapResponse = try client.call("/querier.v1.QuerierService/SelectHeatmap", h)
        // Per profile: each push is two, as its `endpoint` sample label split it into two series.
        #expect(perProfile.series.flatMap(\.slots).map { $0.counts.reduce(0, +) } == [2, 2], "\(perProfile)")

        // A malformed span id: 400 naming it.
        r.spanSelector = ["xyz"]
        #expect(throws: ConnectClient.CallError.self) {
            let _: Querier_V1_SelectMergeSpanProfileResponse = try client.call("/querier.v1.QuerierService/SelectMergeSpanProfile", r)
        }
        do {
            let _: Querier_V1_SelectMergeSpanProfileResponse = try client.call("/querier.v1.QuerierService/SelectMergeSpanProfile", r)
        } catch let e as ConnectClient.CallError {
            #expect(e.status == 400 && e.body.contains("xyz"), "\(e)")
        }
    }
}
