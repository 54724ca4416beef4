import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

@Suite struct StackTreeTests {
    @Test func denseIdsParentsFirstAndDeduplicated() {
        var t = StackTree()
        let a = t.child(of: StackTree.root, location: 7)
        let b = t.child(of: a, location: 8)
        let a2 = t.child(of: StackTree.root, location: 7)
        let c = t.child(of: a, location: 9)
        #expect(a == 1 && b == 2 && c == 3)
        #expect(a2 == a)
        #expect(t.count == 4)
        for id in 1..<t.count { #expect(t.parents[id] < UInt32(id)) }
        #expect(t.stack(b) == [8, 7])
        #expect(t.stack(StackTree.root).isEmpty)
    }
}

@Suite struct HeadStateTests {
    func ingest(_ file: String, labels: [Label], time: Int64 = 1) throws -> IngestProfile {
        try PushConverter.convert(labels: labels, rawProfile: TestData.withoutSampleLabels(file), id: "", nowNanos: time)
    }

    @Test func symbolsAreSharedAcrossPushesOfTheSameProfile() throws {
        var head = HeadState()
        let p = try ingest("pprof/go-cpu.pb.gz", labels: [Label("__name__", "process_cpu")])
        head.append(p)
        let stacks = head.symbols.stacks.count
        let locations = head.symbols.locations.count
        let strings = head.symbols.strings.count
        head.append(p)
        #expect(head.symbols.stacks.count == stacks)
        #expect(head.symbols.locations.count == locations)
        #expect(head.symbols.strings.count == strings)
        // Two sample types → two series, each with two profiles.
        #expect(head.series.count == 2)
        #expect(head.series.allSatisfy { $0.profileCount == 2 })
        // Locations are deduplicated: no more than the profile has.
        #expect(locations <= p.profile.locations.count)
        #expect(head.series[0].totals[0] == p.profile.total(ofType: 0))
    }

    @Test func samplesMergedByStackAndZerosDropped() throws {
        var b = ProfileBuilder(sampleTypes: [("alloc_space", "bytes"), ("inuse_space", "bytes")])
        b.addSample(stack: ["main", "a"], values: [5, 0])
        b.addSample(stack: ["main", "a"], values: [7, 0], labels: [("k", "v")])
        b.addSample(stack: ["main", "b"], values: [0, 0])
        b.addSample(stack: ["main", "c"], values: [3, -3])
        b.addSample(stack: ["main", "c"], values: [0, 3])
        let p = b.build()
        let (base, name, _) = try SeriesLabels.normalise([Label("__name__", "memory")])
        var head = HeadState()
        head.append(IngestProfile(profile: p, series: SeriesLabels.targets(base: base, name: name, profile: p), timeNanos: 9, durationNanos: 0))
        // alloc_space: main;a = 12, main;c = 3; inuse_space: the negative value is dropped, main;c = 3.
        #expect(head.series.count == 2)
        let alloc = head.series[0]
        #expect(alloc.profileCount == 1)
        #expect(alloc.sampleCounts == [2])
        #expect(alloc.totals == [15])
        #expect(head.series[1].totals == [3])
        #expect(head.sampleValues.sorted() == [3, 3, 12])
    }

    @Test func seriesWithoutSamplesStoresNoProfile() throws {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")])
        b.addSample(stack: ["main"], values: [0])
        let p = b.build()
        let (base, name, _) = try SeriesLabels.normalise([Label("__name__", "process_cpu")])
        var head = HeadState()
        head.append(IngestProfile(profile: p, series: SeriesLabels.targets(base: base, name: name, profile: p), timeNanos: 9, durationNanos: 0))
        #expect(head.series.count == 1)
        #expect(head.series[0].profileCount == 0)
        #expect(!head.series[0].hasProfiles(in: Int64.min...Int64.max))
    }

    @Test func postingsAndSelection() throws {
        var head = HeadState()
        for (svc, env) in [("api", "prod"), ("db", "prod"), ("web", "dev"), ("api", "dev")] {
            head.append(
                try ingest("pprof/go-goroutine.pb.gz", labels: [Label("__name__", "goroutine"), Label("service_name", svc), Label("env", env)]))
        }
        #expect(head.series.count == 4)
        for (_, values) in head.postings {
            for (_, refs) in values { #expect(refs == refs.sorted()) }
        }
        func select(_ s: String) throws -> [String] {
            try head.select(LabelSelector(parsing: s)).map {
                head.series[Int($0)].labels["service_name"]! + "/" + head.series[Int($0)].labels["env"]!
            }
        }
        #expect(try select(#"{service_name="api"}"#) == ["api/prod", "api/dev"])
        #expect(try select(#"{service_name="api", env="dev"}"#) == ["api/dev"])
        #expect(try select(#"{env=~"p.*"}"#) == ["api/prod", "db/prod"])
        #expect(try select(#"{service_name!="api"}"#) == ["db/prod", "web/dev"])
        #expect(try select(#"{service_name="nope"}"#).isEmpty)
        #expect(try select(#"{missing=""}"#).count == 4)
        #expect(try select("{}").count == 4)
    }
}
