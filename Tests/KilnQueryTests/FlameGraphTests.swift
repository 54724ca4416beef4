import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnQuery
import KilnStorage
import KilnTestSupport
import Testing

/// Builds heads from stacks for query tests.
enum Fixture {
    static func profile(_ stacks: [([String], Int64)]) -> Profile {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        for (stack, v) in stacks { b.addSample(stack: stack, values: [v]) }
        return b.build()
    }

    static func ingest(_ p: Profile, labels: [Label], timeNanos: Int64) throws -> IngestProfile {
        let (base, name, _) = try SeriesLabels.normalise([Label("__name__", "process_cpu")] + labels)
        return IngestProfile(profile: p, series: SeriesLabels.targets(base: base, name: name, profile: p), timeNanos: timeNanos, durationNanos: 0)
    }

    static let cpu = try! ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
}

@Suite struct FlameGraphTests {
    func graph(_ stacks: [([String], Int64)], maxNodes: Int64 = FlameGraph.defaultMaxNodes) async throws -> FlameGraph {
        var head = HeadState()
        head.append(try Fixture.ingest(Fixture.profile(stacks), labels: [], timeNanos: 1_000_000))
        return try await Query(sources: [head]).mergeStacktraces(profileType: Fixture.cpu, selector: LabelSelector(), range: .all, maxNodes: maxNodes)
    }

    /// The worked example of shared/reference/pyroscope-api.md §2.6, exactly.
    @Test func referenceExample() async throws {
        let g = try await graph([(["main", "a"], 3), (["main", "b"], 2), (["main"], 1)])
        #expect(g.names == ["total", "main", "b", "a"])
        #expect(g.levels == [[0, 6, 0, 0], [0, 6, 1, 1], [1, 3, 3, 3, 0, 2, 2, 2]])
        #expect(g.total == 6)
        #expect(g.maxSelf == 3)
    }

    @Test func emptyWhenNothingSelected() async throws {
        let head = HeadState()
        #expect(
            try await Query(sources: [head]).mergeStacktraces(profileType: Fixture.cpu, selector: LabelSelector(), range: .all, maxNodes: 10)
                == .empty)
        #expect(FlameGraph.empty.levels == [[0, 0, 0, 0]])
    }

    @Test func duplicateStacksAndSharedPrefixesMerge() async throws {
        let g = try await graph([(["m", "x", "y"], 2), (["m", "x", "y"], 3), (["m", "x"], 1), (["n"], 4)])
        let nodes = try FlameGraphDecoder.decode(names: g.names, levels: g.levels)
        #expect(nodes["m;x;y"] == .init(total: 5, selfValue: 5))
        #expect(nodes["m;x"] == .init(total: 6, selfValue: 1))
        #expect(nodes["n"] == .init(total: 4, selfValue: 4))
        #expect(g.total == 10)
    }

    /// max_nodes keeps the nodes whose total is at least the max_nodes-th
    /// largest and folds the rest of each parent's children into "other".
    @Test func maxNodesOtherRule() async throws {
        let stacks: [([String], Int64)] = [(["m", "big"], 50), (["m", "mid"], 30), (["m", "s1"], 3), (["m", "s2"], 2), (["m", "other"], 1)]
        let g = try await graph(stacks, maxNodes: 3)
        let nodes = try FlameGraphDecoder.decode(names: g.names, levels: g.levels)
        // Totals: m 86, big 50, mid 30, s1 3, s2 2, other 1 → 3rd largest is 30.
        #expect(nodes["m"]?.total == 86)
        #expect(nodes["m;big"]?.total == 50)
        #expect(nodes["m;mid"]?.total == 30)
        #expect(nodes["m;s1"] == nil)
        #expect(nodes["m;other"] == .init(total: 6, selfValue: 6))
        #expect(g.total == 86)
        // Without the limit every node is there, and a literal "other" is still folded.
        let full = try await FlameGraphDecoder.decode(names: graph(stacks).names, levels: graph(stacks).levels)
        #expect(full["m;s1"]?.total == 3)
        #expect(full["m;other"]?.total == 1)
    }

    /// Against an independent computation on a real profile: every name path's
    /// self and total equal the sums over the pprof's samples.
    @Test(arguments: ["pprof/go-cpu.pb.gz", "pprof/go-heap.pb.gz", "pprof/pyroscope-io-1.4.0-process_cpu.pb"])
    func realProfileMatchesIndependentSums(_ file: String) async throws {
        let p = try PprofDecoder.decode(TestData.bytes(file))
        let t = p.sampleTypes.count - 1
        var expectedSelf: [String: Int64] = [:]
        var expectedTotal: [String: Int64] = [:]
        for i in 0..<p.sampleCount {
            var frames: [String] = []
            for li in p.locations(ofSample: i).reversed() {
                let lines = p.lines(ofLocation: Int(li))
                if lines.isEmpty { frames.append("0x" + String(p.locations[Int(li)].address, radix: 16)) }
                for line in lines.reversed() { frames.append(p.strings[p.functions[Int(line.functionIndex)].name]) }
            }
            let v = p.value(ofSample: i, type: t)
            expectedSelf[frames.joined(separator: ";"), default: 0] += v
            for d in 1...max(frames.count, 1) { expectedTotal[frames.prefix(d).joined(separator: ";"), default: 0] += v }
        }
        let (base, name, _) = try SeriesLabels.normalise([Label("__name__", "x")])
        var head = HeadState()
        let targets = SeriesLabels.targets(base: base, name: name, profile: p)
        head.append(IngestProfile(profile: p, series: targets, timeNanos: 1, durationNanos: 0))
        let g = try await Query(sources: [head]).mergeStacktraces(
            profileType: targets[t].profileType, selector: LabelSelector(), range: .all, maxNodes: FlameGraph.maxMaxNodes)
        let nodes = try FlameGraphDecoder.decode(names: g.names, levels: g.levels)
        #expect(g.total == p.total(ofType: t))
        for (path, total) in expectedTotal where total != 0 {
            #expect(nodes[path]?.total == total, "\(path)")
            #expect((nodes[path]?.selfValue ?? 0) == (expectedSelf[path] ?? 0), "\(path)")
        }
        #expect(nodes.count - 1 == expectedTotal.filter { $0.value != 0 }.count)
        #expect(g.maxSelf == max(expectedSelf.values.max() ?? 0, expectedSelf[""] ?? 0))
    }
}

/// `Diff`: both sides' trees aligned by name path, seven numbers per node,
/// x delta-encoded per side (shared/reference/pyroscope-api.md §2.11).
@Suite struct FlameGraphDiffTests {
    @Test func alignedTreesWorkedByHand() async throws {
        var left = HeadState()
        var right = HeadState()
        left.append(
            try Fixture.ingest(Fixture.profile([(["main", "a"], 3), (["main", "b"], 2)]), labels: [Label("side", "l")], timeNanos: 1_000_000))
        right.append(
            try Fixture.ingest(Fixture.profile([(["main", "a"], 1), (["main", "c"], 4)]), labels: [Label("side", "r")], timeNanos: 1_000_000))
        let d = try await Query(sources: [left, right]).diff(
            profileType: Fixture.cpu, left: (try LabelSelector(parsing: #"{side="l"}"#), .all, CallSiteFilter()),
            right: (try LabelSelector(parsing: #"{side="r"}"#), .all, CallSiteFilter()),
            maxNodes: 100)
        #expect(d.names == ["total", "main", "c", "b", "a"])
        #expect(
            d.levels == [
                [0, 5, 0, 0, 5, 0, 0],
                [0, 5, 0, 0, 5, 0, 1],
                [0, 3, 3, 0, 1, 1, 4, 0, 2, 2, 0, 0, 0, 3, 0, 0, 0, 0, 4, 4, 2],
            ])
        #expect(d.total == 10 && d.leftTicks == 5 && d.rightTicks == 5 && d.maxSelf == 4)
    }
}

/// The `call_site` stack-trace selector keeps only the subtree under a root-first prefix.
@Suite struct CallSiteFilterTests {
    @Test func keepsTheSubtreeUnderThePrefix() async throws {
        var head = HeadState()
        head.append(
            try Fixture.ingest(
                Fixture.profile([(["main", "a", "x"], 3), (["main", "b"], 2), (["other", "a"], 1), (["main", "a"], 4), (["main"], 5)]),
                labels: [], timeNanos: 1_000_000))
        let q = Query(sources: [head])
        let g = try await q.mergeStacktraces(
            profileType: Fixture.cpu, selector: LabelSelector(), range: .all, maxNodes: 100, callSite: CallSiteFilter(["main", "a"]))
        #expect(
            try FlameGraphDecoder.decode(names: g.names, levels: g.levels) == [
                "": .init(total: 7, selfValue: 0), "main": .init(total: 7, selfValue: 0),
                "main;a": .init(total: 7, selfValue: 4), "main;a;x": .init(total: 3, selfValue: 3),
            ])
        let none = try await q.mergeStacktraces(
            profileType: Fixture.cpu, selector: LabelSelector(), range: .all, maxNodes: 100, callSite: CallSiteFilter(["nope"]))
        #expect(none.total == 0)
        let p = try await q.mergeProfile(profileType: Fixture.cpu, selector: LabelSelector(), range: .all, callSite: CallSiteFilter(["main"]))
        #expect(p.total(ofType: 0) == 14)
    }
}
