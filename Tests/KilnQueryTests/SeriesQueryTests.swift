import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnQuery
import KilnStorage
import KilnTestSupport
import Testing

@Suite struct SeriesQueryTests {
    static let ms: Int64 = 1_000_000
    static let start: Int64 = 1_700_000_000_000  // ms

    /// Three services × profiles at known times; profile value = 10 × (index + 1).
    func head() throws -> HeadState {
        var h = HeadState()
        let times: [Int64] = [0, 1, 15_000, 15_001, 30_000, 44_999, 45_000, 60_001]  // ms after start
        for (svc, env) in [("api", "prod"), ("db", "prod"), ("web", "dev")] {
            for (i, dt) in times.enumerated() {
                let p = Fixture.profile([(["main", svc], 10 * Int64(i + 1))])
                h.append(try Fixture.ingest(p, labels: [Label("service_name", svc), Label("env", env)], timeNanos: (Self.start + dt) * Self.ms))
            }
        }
        return h
    }

    func query(
        groupBy: [String] = [], aggregation: TimeSeriesQuery.Aggregation = .sum, limit: Int? = nil,
        selector: String = "{}", end: Int64 = 60_000
    ) async throws -> [TimeSeries] {
        try await Query(sources: [head()]).selectSeries(
            TimeSeriesQuery(
                profileType: Fixture.cpu, selector: LabelSelector(parsing: selector), startMs: Self.start, endMs: Self.start + end,
                stepMs: 15_000, groupBy: groupBy, aggregation: aggregation, limit: limit))
    }

    /// Points sit at start + k·step; the point at T sums (T − step, T]; steps
    /// without data produce no point; nothing past `end` is counted.
    @Test func bucketsAtRightEdges() async throws {
        let series = try await query(selector: #"{service_name="api"}"#)
        #expect(series.count == 1)
        #expect(series[0].labels.isEmpty)
        let p = series[0].points
        #expect(p.map(\.timestampMs) == [0, 15_000, 30_000, 45_000].map { Self.start + $0 })
        // t=0 → T0 (10); t=1,15000 → T1 (20+30); t=15001,30000 → T2 (40+50); t=44999,45000 → T3 (60+70); t=60001 beyond end.
        #expect(p.map(\.value) == [10, 50, 90, 130])
    }

    /// The first point, at `start`, covers the step before it (Pyroscope's frontend widens the range).
    @Test func firstBucketCoversTheStepBeforeStart() async throws {
        var h = try head()
        let p = Fixture.profile([(["main", "api"], 1000)])
        h.append(try Fixture.ingest(p, labels: [Label("service_name", "api"), Label("env", "prod")], timeNanos: (Self.start - 5_000) * Self.ms))
        h.append(try Fixture.ingest(p, labels: [Label("service_name", "api"), Label("env", "prod")], timeNanos: (Self.start - 15_000) * Self.ms))
        let s = try await Query(sources: [h]).selectSeries(
            TimeSeriesQuery(
                profileType: Fixture.cpu, selector: try LabelSelector(parsing: #"{service_name="api"}"#),
                startMs: Self.start, endMs: Self.start + 60_000, stepMs: 15_000))
        // t = start − 5 s lands in the first point; t = start − 15 s is outside (start − step, start].
        #expect(s[0].points.first == TimeSeries.Point(timestampMs: Self.start, value: 1010))
    }

    @Test func groupByOrdersByTotalAndLimits() async throws {
        let all = try await query(groupBy: ["service_name"])
        #expect(all.map { $0.labels["service_name"] } == ["api", "db", "web"])  // equal totals: ties by labels
        #expect(all.allSatisfy { $0.labels.count == 1 })
        let byEnv = try await query(groupBy: ["env"])
        #expect(byEnv.map { $0.labels["env"] } == ["prod", "dev"])  // prod has two services: larger
        #expect(byEnv[0].points.map(\.value) == [20, 100, 180, 260])
        #expect(try await query(groupBy: ["service_name"], limit: 2).count == 2)
        // A group-by label no series has groups everything under no labels.
        let missing = try await query(groupBy: ["nope"])
        #expect(missing.count == 1 && missing[0].labels.isEmpty)
    }

    @Test func averageAggregation() async throws {
        let s = try await query(aggregation: .average, selector: #"{service_name="api"}"#)
        #expect(s[0].points.map(\.value) == [10, 25, 45, 65])
    }

    @Test func emptyForOtherTypesAndRanges() async throws {
        let h = try head()
        let other = try ProfileTypeID(parsing: "memory:alloc_space:bytes:space:bytes")
        #expect(
            try await Query(sources: [h]).selectSeries(
                TimeSeriesQuery(profileType: other, selector: LabelSelector(), startMs: Self.start, endMs: Self.start + 60_000, stepMs: 1000)
            ).isEmpty)
        #expect(
            try await Query(sources: [h]).selectSeries(
                TimeSeriesQuery(profileType: Fixture.cpu, selector: LabelSelector(), startMs: 1000, endMs: 4000, stepMs: 1000)
            ).isEmpty)
    }

    @Test func labelAPIs() async throws {
        let h = try head()
        let all = TimeRange.all
        #expect(try await Query(sources: [h]).profileTypes(range: all).map(\.id) == ["process_cpu:cpu:nanoseconds:cpu:nanoseconds"])
        #expect(try await Query(sources: [h]).profileTypes(range: .milliseconds(1000, 4000)).isEmpty)
        let names = try await Query(sources: [h]).labelNames(selector: LabelSelector(), range: all)
        #expect(
            names == [
                "__name__", "__period_type__", "__period_unit__", "__profile_type__", "__service_name__", "__type__", "__unit__", "env",
                "service_name",
            ])
        #expect(
            try await Query(sources: [h]).labelValues(name: "service_name", selector: LabelSelector(parsing: #"{env="prod"}"#), range: all) == [
                "api", "db",
            ])
        #expect(
            try await Query(sources: [h]).labelValues(name: "service_name", selector: LabelSelector(parsing: #"{env=~"d.*"}"#), range: all) == ["web"]
        )
        #expect(try await Query(sources: [h]).labelValues(name: "nope", selector: LabelSelector(), range: all).isEmpty)
        let projected = try await Query(sources: [h]).series(selector: LabelSelector(), labelNames: ["env", "__profile_type__"], range: all)
        #expect(projected.map { $0["env"] } == ["dev", "prod"])
        #expect(try await Query(sources: [h]).series(selector: LabelSelector(), labelNames: [], range: all).count == 3)
        // A time range that holds only the last profile (t = +60 001 ms).
        let late = TimeRange.milliseconds(Self.start + 60_001, Self.start + 70_000)
        #expect(try await Query(sources: [h]).labelValues(name: "service_name", selector: LabelSelector(), range: late) == ["api", "db", "web"])
        let stats = try await Query(sources: [h]).stats()
        #expect(stats.ingested && stats.oldestMs == Self.start && stats.newestMs == Self.start + 60_001)
    }

    @Test func flameGraphHonoursSelectorAndRange() async throws {
        let h = try head()
        let g = try await Query(sources: [h]).mergeStacktraces(
            profileType: Fixture.cpu, selector: LabelSelector(parsing: #"{env="prod"}"#),
            range: .milliseconds(Self.start, Self.start + 15_000), maxNodes: 100)
        let nodes = try FlameGraphDecoder.decode(names: g.names, levels: g.levels)
        // Profiles at +0, +1, +15000 ms of api and db: 10 + 20 + 30 each.
        #expect(nodes["main;api"]?.total == 60)
        #expect(nodes["main;db"]?.total == 60)
        #expect(nodes["main;web"] == nil)
        #expect(g.total == 120)
    }

    @Test func millisecondRangeIsInclusive() {
        let r = TimeRange.milliseconds(5, 7)
        #expect(r.contains(5_000_000))
        #expect(r.contains(7_999_999))
        #expect(!r.contains(8_000_000))
        #expect(!r.contains(4_999_999))
        #expect(TimeRange.milliseconds(0, 0) == .all)
    }
}

/// `SelectHeatmap`: histograms of profile or span totals per slot, on one
/// y axis for the whole answer; a pushed profile split by spans counts once.
@Suite struct HeatmapQueryTests {
    static let start = SeriesQueryTests.start

    func push(_ head: inout HeadState, _ svc: String, atMs dt: Int64, _ samples: [(value: Int64, span: UInt64)]) throws {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        for (i, s) in samples.enumerated() {
            b.addSample(stack: ["main", "f\(i)"], values: [s.value], labels: s.span == 0 ? [] : [("span_id", SpanID.format(s.span))])
        }
        head.append(
            try PushConverter.convert(
                labels: [Label("__name__", "process_cpu"), Label("service_name", svc)],
                rawProfile: PprofEncoder.encode(b.build(timeNanos: (Self.start + dt) * 1_000_000)), id: "", nowNanos: 0))
    }

    @Test func profilesAndSpansPerSlot() async throws {
        var head = HeadState()
        try push(&head, "api", atMs: 1_000, [(100, 0)])
        try push(&head, "api", atMs: 2_000, [(50, 7), (150, 8), (100, 0)])  // one profile of 300, spans of 50 and 150
        try push(&head, "api", atMs: 16_000, [(2_100, 7)])
        try push(&head, "db", atMs: 3_000, [(600, 0)])
        let query = Query(sources: [head])
        func heatmap(_ unit: HeatmapQuery.Unit, groupBy: [String] = ["service_name"]) async throws -> [Heatmap] {
            try await query.selectHeatmap(
                HeatmapQuery(
                    profileType: Fixture.cpu, selector: LabelSelector(), startMs: Self.start, endMs: Self.start + 30_000,
                    stepMs: 15_000, groupBy: groupBy, unit: unit))
        }
        // Profiles: values 100, 300, 2100 (api) and 600 (db); buckets of (2100 − 100) / 20 = 100 from 100.
        let profiles = try await heatmap(.profile)
        #expect(profiles.map { $0.labels["service_name"] } == ["api", "db"])
        #expect(
            profiles[0].slots == [
                Heatmap.Slot(timestampMs: Self.start + 15_000, yMin: [100, 300], counts: [1, 1], top: (300, 0)),
                Heatmap.Slot(timestampMs: Self.start + 30_000, yMin: [2_000], counts: [1], top: (2_100, 0)),
            ])
        #expect(profiles[1].slots == [Heatmap.Slot(timestampMs: Self.start + 15_000, yMin: [600], counts: [1], top: (600, 0))])

        // Spans: 50 (span 7) and 150 (span 8) in the first slot, 2100 (span 7) in the second; no-span samples left out.
        let spans = try await heatmap(.span, groupBy: [])
        let width = (2_100.0 - 50) / 20
        #expect(
            spans.count == 1
                && spans[0].slots == [
                    Heatmap.Slot(timestampMs: Self.start + 15_000, yMin: [50], counts: [2], top: (150, 8)),  // both below 50 + width
                    Heatmap.Slot(timestampMs: Self.start + 30_000, yMin: [50 + 19 * width], counts: [1], top: (2_100, 7)),
                ])
        #expect(
            try await Query(sources: [HeadState()]).selectHeatmap(
                HeatmapQuery(
                    profileType: Fixture.cpu, selector: LabelSelector(),
                    startMs: 0, endMs: 1, stepMs: 1)
            ).isEmpty)
    }
}
