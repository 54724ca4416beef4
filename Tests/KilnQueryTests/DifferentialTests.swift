import Foundation
import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnQuery
import KilnTestSupport
import Logging
import Testing

@testable import KilnStorage

/// Every query, answered by Kiln and by a naive computation over the raw
/// pushes written here, independently of Kiln's code, compared exactly —
/// over random workloads held in the head only, in blocks only, in both,
/// after compaction, and split between an ingester and a querier (the
/// querier reading the blocks it knows, the ingester answering with
/// extracts of everything else).
@Suite struct DifferentialTests {
    /// One sample of a push: its stack root first, its value, its span id
    /// (0: none) and its `task` sample label (nil: none).
    struct Sample: Sendable {
        var stack: [String]
        var value: Int64
        var span: UInt64
        var task: String?
    }

    /// One push as the test generated it.
    struct Push: Sendable {
        var labels: [Label]
        var timeMs: Int64
        var samples: [Sample]
    }

    /// One sample as a query sees it: in the series of its push's labels
    /// plus its `task` sample label, which splits the push.
    struct Row: Sendable {
        var labels: [String: String]
        var timeMs: Int64
        var sample: Sample
    }

    /// Aligned to 2 h, so hourly cuts fall in one compaction window each.
    static let baseMs: Int64 = 236_112 * 7_200_000
    /// The spans samples may belong to; a span recurs across pushes, as a long request's would.
    static let spans: [UInt64] = [0x0102_0304_0506_0708, 0x1111_2222_3333_4444, 0xA0B0_C0D0_E0F0_0102, 0x77]

    static func workload(seed: UInt64) -> [Push] {
        var rng = SeededRandom(seed: seed)
        let functions = (0..<12).map { "pkg.F\($0)" }
        return (0..<240).map { _ in
            let samples = (0..<Int.random(in: 1...12, using: &rng)).map { _ in
                Sample(
                    stack: (0..<Int.random(in: 1...6, using: &rng)).map { _ in functions[Int.random(in: 0..<functions.count, using: &rng)] },
                    value: Int64.random(in: 1...1000, using: &rng),
                    span: ([0, 0, 0] + spans)[Int.random(in: 0..<(3 + spans.count), using: &rng)],
                    task: [nil, nil, "a", "b"][Int.random(in: 0..<4, using: &rng)])
            }
            return Push(
                labels: [
                    Label("service_name", "svc-\(Int.random(in: 0..<3, using: &rng))"),
                    Label("env", ["prod", "dev", "perf"][Int.random(in: 0..<3, using: &rng)]),
                    Label("region", ["a", "b"][Int.random(in: 0..<2, using: &rng)]),
                ],
                timeMs: baseMs + Int64.random(in: 0..<(3 * 3_600_000), using: &rng), samples: samples)
        }.sorted { $0.timeMs < $1.timeMs }
    }

    static func rows(_ pushes: [Push]) -> [Row] {
        pushes.flatMap { p in
            p.samples.map { s in
                var labels = Dictionary(uniqueKeysWithValues: p.labels.map { ($0.name, $0.value) })
                if let task = s.task { labels["task"] = task }
                return Row(labels: labels, timeMs: p.timeMs, sample: s)
            }
        }
    }

    // MARK: - The naive answers

    /// Flame graph nodes by name path (root `""`): total and self, as the decoder reports them.
    static func flame(_ rows: [Row]) -> [String: FlameGraphDecoder.Node] {
        var out: [String: FlameGraphDecoder.Node] = [:]
        for r in rows {
            let (stack, v) = (r.sample.stack, r.sample.value)
            out["", default: .init(total: 0, selfValue: 0)].total += v
            for depth in 1...stack.count {
                let path = stack[..<depth].joined(separator: ";")
                out[path, default: .init(total: 0, selfValue: 0)].total += v
                if depth == stack.count { out[path]!.selfValue += v }
            }
        }
        return out
    }

    /// Merged pprof samples: leaf-first function path → value.
    static func pprof(_ rows: [Row]) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for r in rows { out[r.sample.stack.reversed().joined(separator: ";"), default: 0] += r.sample.value }
        return out
    }

    /// Time series by group: the point at `start + k·step` sums the samples of the profiles in `(edge − step, edge]`.
    static func series(_ rows: [Row], startMs: Int64, endMs: Int64, stepMs: Int64, groupBy: String) -> [String: [Int64: Double]] {
        var out: [String: [Int64: Double]] = [:]
        for r in rows where r.timeMs > startMs - stepMs && r.timeMs <= endMs {
            let k = (r.timeMs - startMs + stepMs - 1) / stepMs
            let edge = startMs + max(k, 0) * stepMs
            guard edge <= endMs else { continue }
            out[r.labels[groupBy] ?? "", default: [:]][edge, default: 0] += Double(r.sample.value)
        }
        return out
    }

    // MARK: - Kiln's answers, compared

    struct Case: Sendable {
        var selector: String
        var predicate: @Sendable ([String: String]) -> Bool
    }

    static let cases: [Case] = [
        Case(selector: "{}", predicate: { _ in true }),
        Case(selector: #"{service_name="svc-1"}"#, predicate: { $0["service_name"] == "svc-1" }),
        Case(selector: #"{env=~"p.*"}"#, predicate: { $0["env"]!.hasPrefix("p") }),
        Case(selector: #"{service_name!="svc-0",region="a"}"#, predicate: { $0["service_name"] != "svc-0" && $0["region"] == "a" }),
        Case(selector: #"{task="a"}"#, predicate: { $0["task"] == "a" }),
    ]

    static func compare(_ query: Query, _ pushes: [Push], _ scenario: String) async throws {
        let cpu = Fixture.cpu
        let all = rows(pushes)
        let ranges: [(Int64, Int64)] = [
            (baseMs - 1, baseMs + 4 * 3_600_000), (baseMs + 1_800_000, baseMs + 6_000_000), (baseMs + 7_000_000, baseMs + 7_300_000),
        ]
        for c in cases {
            let selector = try LabelSelector(parsing: c.selector)
            for (startMs, endMs) in ranges {
                let chosen = all.filter { c.predicate($0.labels) && (startMs...endMs).contains($0.timeMs) }
                let what = "\(scenario) \(c.selector) [\(startMs - baseMs), \(endMs - baseMs)] ms: \(chosen.count) samples"
                let range = TimeRange.milliseconds(startMs, endMs)

                let graph = try await query.mergeStacktraces(profileType: cpu, selector: selector, range: range, maxNodes: FlameGraph.maxMaxNodes)
                if chosen.isEmpty {
                    #expect(graph == .empty, "\(what)")
                } else {
                    #expect(try FlameGraphDecoder.decode(names: graph.names, levels: graph.levels) == flame(chosen), "flame graph, \(what)")
                }

                // Focused on the call site of the first push's first stack, root first, two frames deep.
                if let site = pushes.first?.samples.first?.stack.prefix(2) {
                    let focused = chosen.filter { $0.sample.stack.starts(with: site) }
                    let g = try await query.mergeStacktraces(
                        profileType: cpu, selector: selector, range: range, maxNodes: FlameGraph.maxMaxNodes,
                        callSite: CallSiteFilter(Array(site)))
                    let got = g.total == 0 ? [:] : try FlameGraphDecoder.decode(names: g.names, levels: g.levels)
                    #expect(got == (focused.isEmpty ? [:] : flame(focused)), "call site \(site), \(what)")
                }

                // The samples of two spans (`SelectMergeSpanProfile`).
                let wanted = SpanSelector(ids: [spans[0], spans[3]])
                let ofSpans = chosen.filter { wanted.ids.contains($0.sample.span) }
                let s = try await query.mergeStacktraces(
                    profileType: cpu, selector: selector, range: range, maxNodes: FlameGraph.maxMaxNodes, spans: wanted)
                let gotSpans = s.total == 0 ? [:] : try FlameGraphDecoder.decode(names: s.names, levels: s.levels)
                #expect(gotSpans == (ofSpans.isEmpty ? [:] : flame(ofSpans)), "spans, \(what)")

                let profile = try await query.mergeProfile(profileType: cpu, selector: selector, range: range)
                var got: [String: Int64] = [:]
                for i in 0..<profile.sampleCount {
                    let path = profile.locations(ofSample: i).map { loc in
                        profile.lines(ofLocation: Int(loc)).map { profile.strings[profile.functions[Int($0.functionIndex)].name] }.joined(
                            separator: ";")
                    }.joined(separator: ";")
                    got[path, default: 0] += profile.value(ofSample: i, type: 0)
                }
                #expect(got == pprof(chosen), "merged pprof, \(what)")

                let step: Int64 = 600_000
                let ts = try await query.selectSeries(
                    TimeSeriesQuery(profileType: cpu, selector: selector, startMs: startMs, endMs: endMs, stepMs: step, groupBy: ["service_name"]))
                var gotSeries: [String: [Int64: Double]] = [:]
                for s in ts { for p in s.points { gotSeries[s.labels["service_name"] ?? "", default: [:]][p.timestampMs] = p.value } }
                #expect(
                    gotSeries == series(all.filter { c.predicate($0.labels) }, startMs: startMs, endMs: endMs, stepMs: step, groupBy: "service_name"),
                    "series, \(what)")

                #expect(
                    try await query.labelValues(name: "region", selector: selector, range: range)
                        == Set(chosen.map { $0.labels["region"]! }).sorted(), "label values, \(what)")
            }
        }
    }

    /// A push through the real ingest path: a pprof whose samples carry
    /// `span_id` and `task` sample labels.
    static func ingest(_ p: Push) throws -> IngestProfile {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        for s in p.samples {
            var labels: [(key: String, value: String)] = []
            if s.span != 0 { labels.append(("span_id", SpanID.format(s.span))) }
            if let task = s.task { labels.append(("task", task)) }
            b.addSample(stack: s.stack, values: [s.value], labels: labels)
        }
        return try PushConverter.convert(
            labels: [Label("__name__", "process_cpu")] + p.labels, rawProfile: PprofEncoder.encode(b.build()),
            id: "", nowNanos: p.timeMs * 1_000_000)
    }

    enum Scenario: String, CaseIterable, CustomTestStringConvertible {
        case headOnly, blocksOnly, headAndBlocks, compacted
        /// A querier reads the block itself; the ingester's head answers the rest.
        case splitKnownBlock
        /// A querier knows no block; the ingester answers for its head and its unshipped block.
        case splitUnknownBlock
        var testDescription: String { rawValue }
    }

    @Test(arguments: Scenario.allCases)
    func kilnAnswersAsTheNaiveComputation(_ scenario: Scenario) async throws {
        for seed in [1, 2, 3] as [UInt64] {
            let pushes = Self.workload(seed: seed)
            let dir = TestData.scratchDirectory("kiln-differential")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let ingester = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", logger: Logger(label: "test"))
            defer { ingester.close() }
            switch scenario {
            case .headOnly, .blocksOnly:
                for p in pushes { try await ingester.push([try Self.ingest(p)], tenant: "t") }
                if scenario == .blocksOnly { _ = try await ingester.cut() }
            case .headAndBlocks, .splitKnownBlock, .splitUnknownBlock:
                for p in pushes[..<150] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
                _ = try await ingester.cut()
                for p in pushes[150...] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
            case .compacted:
                // One block per hour, then the 2 h window's two blocks merged (the third hour closes it).
                for hour in 0..<3 {
                    for p in pushes where (p.timeMs - Self.baseMs) / 3_600_000 == Int64(hour) {
                        try await ingester.push([try Self.ingest(p)], tenant: "t")
                    }
                    _ = try await ingester.cut()
                }
                let merged = try await ingester.compact(.init(planner: CompactionPlanner(ranges: [7_200_000_000_000])))
                #expect(merged.count == 1 && merged[0].sources.count == 2, "seed \(seed): \(merged.map(\.sources))")
            }
            var query = Query(ingester.heads.existingHead(for: "t"))
            if scenario == .splitKnownBlock || scenario == .splitUnknownBlock {
                // The querier's view of the bucket: the ingester's block, or nothing.
                let view = Head()
                if scenario == .splitKnownBlock { view.attach(ingester.heads.head(for: "t").blocks) }
                query = Query(view)
                query.remote = InProcessIngester(ingester: ingester, tenant: "t")
            }
            query.samplesPerUnit = 200  // several units per block: the parallel split is compared too
            try await Self.compare(query, pushes, "\(scenario) seed \(seed)")
        }
    }
}

/// An ingester asked in process, as `IngesterRoutes` answers over HTTP:
/// every source but the blocks the querier names.
struct InProcessIngester: RemoteHeads {
    let ingester: Ingester
    let tenant: String

    func extracts(_ request: HeadRequest, knownBlocks: [String], coveredBlocks: [String], budget: QueryBudget) async throws -> RemoteAnswer {
        var query = Query(ingester.heads.existingHead(for: tenant))
        query.budget = budget
        let known = Set(knownBlocks).union(coveredBlocks)
        return RemoteAnswer(extracts: try await query.extracts(for: request) { !known.contains($0.ulid) })
    }

}
