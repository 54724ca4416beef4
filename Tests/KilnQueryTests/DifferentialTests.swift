import Foundation
import KilnIngest
import KilnModel
import KilnPprof
import KilnQuery
@testable import KilnStorage
import KilnTestSupport
import Logging
import Testing

/// Every query, answered by Kiln and by a naive computation over the raw
/// pushes written here, independently of Kiln's code, compared exactly —
/// over random workloads held in the head only, in blocks only, in both,
/// and after compaction.
@Suite struct DifferentialTests {
    /// One push as the test generated it: stacks root first.
    struct Push: Sendable {
        var labels: [Label]
        var timeMs: Int64
        var stacks: [([String], Int64)]
    }

    /// Aligned to 2 h, so hourly cuts fall in one compaction window each.
    static let baseMs: Int64 = 236_112 * 7_200_000

    static func workload(seed: UInt64) -> [Push] {
        var rng = SeededRandom(seed: seed)
        let functions = (0..<12).map { "pkg.F\($0)" }
        return (0..<240).map { _ in
            let stacks = (0..<Int.random(in: 1...12, using: &rng)).map { _ in
                ((0..<Int.random(in: 1...6, using: &rng)).map { _ in functions[Int.random(in: 0..<functions.count, using: &rng)] },
                 Int64.random(in: 1...1000, using: &rng))
            }
            return Push(labels: [Label("service_name", "svc-\(Int.random(in: 0..<3, using: &rng))"),
                                 Label("env", ["prod", "dev", "perf"][Int.random(in: 0..<3, using: &rng)]),
                                 Label("region", ["a", "b"][Int.random(in: 0..<2, using: &rng)])],
                        timeMs: baseMs + Int64.random(in: 0..<(3 * 3_600_000), using: &rng), stacks: stacks)
        }.sorted { $0.timeMs < $1.timeMs }
    }

    // MARK: - The naive answers

    static func selected(_ pushes: [Push], _ predicate: (Push) -> Bool, _ range: ClosedRange<Int64>) -> [Push] {
        pushes.filter { predicate($0) && range.contains($0.timeMs) }
    }

    /// Flame graph nodes by name path (root `""`): total and self, as the decoder reports them.
    static func flame(_ pushes: [Push]) -> [String: FlameGraphDecoder.Node] {
        var out: [String: FlameGraphDecoder.Node] = [:]
        for p in pushes {
            for (stack, v) in p.stacks {
                out["", default: .init(total: 0, selfValue: 0)].total += v
                for depth in 1...stack.count {
                    let path = stack[..<depth].joined(separator: ";")
                    out[path, default: .init(total: 0, selfValue: 0)].total += v
                    if depth == stack.count { out[path]!.selfValue += v }
                }
            }
        }
        return out
    }

    /// Merged pprof samples: leaf-first function path → value.
    static func pprof(_ pushes: [Push]) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for p in pushes { for (stack, v) in p.stacks { out[stack.reversed().joined(separator: ";"), default: 0] += v } }
        return out
    }

    /// Time series by group: the point at `start + k·step` sums the profiles in `(edge − step, edge]`.
    static func series(_ pushes: [Push], startMs: Int64, endMs: Int64, stepMs: Int64, groupBy: String) -> [String: [Int64: Double]] {
        var out: [String: [Int64: Double]] = [:]
        for p in pushes where p.timeMs > startMs - stepMs && p.timeMs <= endMs {
            let k = (p.timeMs - startMs + stepMs - 1) / stepMs
            let edge = startMs + max(k, 0) * stepMs
            guard edge <= endMs else { continue }
            let group = p.labels.first { $0.name == groupBy }?.value ?? ""
            out[group, default: [:]][edge, default: 0] += Double(p.stacks.reduce(0) { $0 + $1.1 })
        }
        return out
    }

    // MARK: - Kiln's answers, compared

    struct Case: Sendable {
        var selector: String
        var predicate: @Sendable (Push) -> Bool
    }

    static let cases: [Case] = [
        Case(selector: "{}", predicate: { _ in true }),
        Case(selector: #"{service_name="svc-1"}"#, predicate: { $0.labels[0].value == "svc-1" }),
        Case(selector: #"{env=~"p.*"}"#, predicate: { $0.labels[1].value.hasPrefix("p") }),
        Case(selector: #"{service_name!="svc-0",region="a"}"#, predicate: { $0.labels[0].value != "svc-0" && $0.labels[2].value == "a" }),
    ]

    static func compare(_ query: Query, _ pushes: [Push], _ scenario: String) async throws {
        let cpu = Fixture.cpu
        let ranges: [(Int64, Int64)] = [(baseMs - 1, baseMs + 4 * 3_600_000), (baseMs + 1_800_000, baseMs + 6_000_000), (baseMs + 7_000_000, baseMs + 7_300_000)]
        for c in cases {
            let selector = try LabelSelector(parsing: c.selector)
            for (startMs, endMs) in ranges {
                let chosen = selected(pushes, c.predicate, startMs...endMs)
                let what = "\(scenario) \(c.selector) [\(startMs - baseMs), \(endMs - baseMs)] ms: \(chosen.count) pushes"
                let range = TimeRange.milliseconds(startMs, endMs)

                let graph = try await query.mergeStacktraces(profileType: cpu, selector: selector, range: range, maxNodes: FlameGraph.maxMaxNodes)
                if chosen.isEmpty {
                    #expect(graph == .empty, "\(what)")
                } else {
                    #expect(try FlameGraphDecoder.decode(names: graph.names, levels: graph.levels) == flame(chosen), "flame graph, \(what)")
                }

                // Focused on the call site of the first push's first stack, root first, two frames deep.
                if let site = pushes.first?.stacks.first?.0.prefix(2) {
                    let focused = chosen.map { p in
                        var p = p
                        p.stacks = p.stacks.filter { $0.0.starts(with: site) }
                        return p
                    }.filter { !$0.stacks.isEmpty }
                    let g = try await query.mergeStacktraces(profileType: cpu, selector: selector, range: range, maxNodes: FlameGraph.maxMaxNodes,
                                                             callSite: CallSiteFilter(Array(site)))
                    let got = g.total == 0 ? [:] : try FlameGraphDecoder.decode(names: g.names, levels: g.levels)
                    #expect(got == (focused.isEmpty ? [:] : flame(focused)), "call site \(site), \(what)")
                }

                let profile = try await query.mergeProfile(profileType: cpu, selector: selector, range: range)
                var got: [String: Int64] = [:]
                for i in 0..<profile.sampleCount {
                    let path = profile.locations(ofSample: i).map { loc in
                        profile.lines(ofLocation: Int(loc)).map { profile.strings[profile.functions[Int($0.functionIndex)].name] }.joined(separator: ";")
                    }.joined(separator: ";")
                    got[path, default: 0] += profile.value(ofSample: i, type: 0)
                }
                #expect(got == pprof(chosen), "merged pprof, \(what)")

                let step: Int64 = 600_000
                let ts = query.selectSeries(TimeSeriesQuery(profileType: cpu, selector: selector, startMs: startMs, endMs: endMs, stepMs: step, groupBy: ["service_name"]))
                var gotSeries: [String: [Int64: Double]] = [:]
                for s in ts { for p in s.points { gotSeries[s.labels["service_name"] ?? "", default: [:]][p.timestampMs] = p.value } }
                #expect(gotSeries == series(pushes.filter(c.predicate), startMs: startMs, endMs: endMs, stepMs: step, groupBy: "service_name"), "series, \(what)")

                #expect(query.labelValues(name: "region", selector: selector, range: range) == Set(chosen.map { $0.labels[2].value }).sorted(), "label values, \(what)")
            }
        }
    }

    static func ingest(_ p: Push) throws -> IngestProfile {
        try Fixture.ingest(Fixture.profile(p.stacks), labels: p.labels, timeNanos: p.timeMs * 1_000_000)
    }

    enum Scenario: String, CaseIterable, CustomTestStringConvertible {
        case headOnly, blocksOnly, headAndBlocks, compacted
        var testDescription: String { rawValue }
    }

    @Test(arguments: Scenario.allCases)
    func kilnAnswersAsTheNaiveComputation(_ scenario: Scenario) async throws {
        for seed in [1, 2, 3] as [UInt64] {
            let pushes = Self.workload(seed: seed)
            let dir = BlockTests.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let ingester = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", logger: Logger(label: "test"))
            defer { ingester.close() }
            switch scenario {
            case .headOnly, .blocksOnly:
                for p in pushes { try await ingester.push([try Self.ingest(p)], tenant: "t") }
                if scenario == .blocksOnly { _ = try await ingester.cut() }
            case .headAndBlocks:
                for p in pushes[..<150] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
                _ = try await ingester.cut()
                for p in pushes[150...] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
            case .compacted:
                // One block per hour, then the 2 h window's two blocks merged (the third hour closes it).
                for hour in 0..<3 {
                    for p in pushes where (p.timeMs - Self.baseMs) / 3_600_000 == Int64(hour) { try await ingester.push([try Self.ingest(p)], tenant: "t") }
                    _ = try await ingester.cut()
                }
                let merged = try await ingester.compact(.init(planner: CompactionPlanner(ranges: [7_200_000_000_000])))
                #expect(merged.count == 1 && merged[0].sources.count == 2, "seed \(seed): \(merged.map(\.sources))")
            }
            var query = Query(ingester.heads.existingHead(for: "t"))
            query.samplesPerUnit = 200  // several units per block: the parallel split is compared too
            try await Self.compare(query, pushes, "\(scenario) seed \(seed)")
        }
    }
}
