import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

@Suite struct SeriesLabelsTests {
    @Test func normalisesPushedLabels() throws {
        let (set, name, _) = try SeriesLabels.normalise([
            Label("__name__", "process_cpu"), Label("service.name", "api"), Label("__delta__", "false"),
            Label("__session_id__", "s1"), Label("otel.scope.name", "x"),
        ])
        #expect(name == "process_cpu")
        #expect(set["service_name"] == "api")
        #expect(set["otel_scope_name"] == "x")
        #expect(set["__delta__"] == nil)
        #expect(set["__session_id__"] == "s1")
    }

    @Test func defaultsServiceNameAndRelabelsGodeltaprof() throws {
        let (set, name, _) = try SeriesLabels.normalise([Label("__name__", "godeltaprof_memory")])
        #expect(name == "memory")
        #expect(set["__name__"] == "memory")
        #expect(set["service_name"] == "unknown_service")
    }

    @Test(arguments: [
        ([Label("service_name", "a")], "invalid metric name"),
        ([Label("__name__", "a:b")], "invalid metric name"),
        ([Label("__name__", "x"), Label("1abc", "v")], "invalid label name"),
        ([Label("__name__", "x"), Label("a-b", "v")], "invalid label name"),
        ([Label("__name__", "x"), Label("a.b", "1"), Label("a_b", "2")], "duplicate label name"),
    ])
    func rejectsInvalidLabels(_ labels: [Label], _ message: String) {
        do {
            _ = try SeriesLabels.normalise(labels)
            Issue.record("accepted \(labels)")
        } catch {
            #expect(error.kind == .invalidArgument)
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func oneSeriesPerSampleTypeWithProfileTypeLabels() throws {
        let p = try PprofDecoder.decode(TestData.bytes("pprof/go-heap.pb.gz"))
        let (base, name, _) = try SeriesLabels.normalise([Label("__name__", "memory"), Label("service_name", "svc")])
        let targets = SeriesLabels.targets(base: base, name: name, profile: p)
        #expect(
            targets.map(\.profileType.id) == [
                "memory:alloc_objects:count:space:bytes", "memory:alloc_space:bytes:space:bytes",
                "memory:inuse_objects:count:space:bytes", "memory:inuse_space:bytes:space:bytes",
            ])
        let first = targets[0].labels
        #expect(first["__profile_type__"] == "memory:alloc_objects:count:space:bytes")
        #expect(first["__type__"] == "alloc_objects")
        #expect(first["__unit__"] == "count")
        #expect(first["__period_type__"] == "space")
        #expect(first["__period_unit__"] == "bytes")
        #expect(first["__service_name__"] == "svc")
        #expect(targets.map(\.sampleType) == [0, 1, 2, 3])
    }

    @Test func wallCPURelabelledToProcessCPU() throws {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds"), ("wall", "nanoseconds")])
        b.addSample(stack: ["a"], values: [1, 2])
        let (base, name, _) = try SeriesLabels.normalise([Label("__name__", "wall")])
        let ids = SeriesLabels.targets(base: base, name: name, profile: b.build()).map(\.profileType.id)
        #expect(ids == ["process_cpu:cpu:nanoseconds::", "wall:wall:nanoseconds::"])
    }

    @Test func pushConverterStampsMissingTime() throws {
        var b = ProfileBuilder(sampleTypes: [("samples", "count")])
        b.addSample(stack: ["a"], values: [1])
        let raw = PprofEncoder.encode(b.build())
        let ingest = try PushConverter.convert(labels: [Label("__name__", "process_cpu")], rawProfile: raw, id: "u", nowNanos: 42)
        #expect(ingest.timeNanos == 42)
        #expect(ingest.series.count == 1)
        #expect(throws: IngestError.self) {
            try PushConverter.convert(labels: [Label("__name__", "process_cpu")], rawProfile: [0xff, 0xff], id: "", nowNanos: 0)
        }
    }
}

/// pprof sample labels: spans stay with samples, other string labels split
/// the profile into series (Pyroscope's distributor rules).
@Suite struct SampleLabelGroupsTests {
    static let span = "0807060504030201"

    @Test func labelsSplitAndSpansStay() throws {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")])
        b.addSample(stack: ["main", "a"], values: [1], labels: [("worker", "x"), ("span_id", Self.span)])
        b.addSample(stack: ["main", "b"], values: [2], labels: [("profile_id", "00000000000000ff"), ("worker", "x")])
        b.addSample(stack: ["main", "c"], values: [3], labels: [("trace_id", "0123456789abcdef0123456789abcdef")])
        b.addSample(stack: ["main", "d"], values: [4], labels: [("otel.thread", "t1"), ("worker", "y"), ("span_id", "not-hex")])
        b.addSample(stack: ["main", "e"], values: [5], labels: [("worker", "y"), ("otel.thread", "t1")])
        let p = b.build()
        let groups = SampleLabelGroups(p)
        #expect(groups.spans == [0x0102_0304_0506_0708, 0xFF00_0000_0000_0000, 0, 0, 0])
        #expect(groups.groups.map(\.samples) == [[0, 1], [2], [3, 4]])
        #expect(groups.groups.map { $0.labels.map { "\($0.name)=\($0.value)" }.sorted() } == [["worker=x"], [], ["otel_thread=t1", "worker=y"]])

        // A group label wins over a pushed label of the same name; each group × sample type is a series.
        let (targets, spans) = try SeriesLabels.series(pushed: [Label("__name__", "process_cpu"), Label("worker", "pushed")], profile: p)
        #expect(spans == groups.spans)
        #expect(targets.map { $0.labels["worker"] } == ["x", "pushed", "y"])
        #expect(targets.map(\.samples) == [[0, 1], [2], [3, 4]])
        #expect(targets[2].labels["otel_thread"] == "t1" && targets.allSatisfy { $0.labels["trace_id"] == nil && $0.labels["span_id"] == nil })
    }

    @Test func profilesWithoutSplittingLabelsAreOneGroup() throws {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")])
        b.addSample(stack: ["main"], values: [1], labels: [("span_id", Self.span)])
        b.addSample(stack: ["main"], values: [1])
        let groups = SampleLabelGroups(b.build())
        #expect(groups.groups.isEmpty && groups.spans == [0x0102_0304_0506_0708, 0])
        let (targets, _) = try SeriesLabels.series(pushed: [Label("__name__", "process_cpu")], profile: b.build())
        #expect(targets.count == 1 && targets[0].samples == nil)
    }

    @Test func invalidGroupLabelsAreRejected() throws {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")])
        b.addSample(stack: ["main"], values: [1], labels: [("bad-name", "v")])
        #expect(throws: IngestError.self) { try SeriesLabels.series(pushed: [Label("__name__", "process_cpu")], profile: b.build()) }
    }

    @Test func spanIDsParseAsLittleEndianAndRoundTrip() {
        #expect(SpanID.parse("0100000000000000") == 1)
        #expect(SpanID.parse("ABCDEF0123456789") == 0x8967_4523_01EF_CDAB)
        #expect(SpanID.parse("0000000000000000") == nil)
        #expect(SpanID.parse("123") == nil && SpanID.parse("zz00000000000000") == nil)
        for id: UInt64 in [1, 0x8967_4523_01EF_CDAB, .max] { #expect(SpanID.parse(SpanID.format(id)) == id) }
        #expect(throws: SpanSelector.ParseError.self) { try SpanSelector(parsing: ["0100000000000000", "nope"]) }
    }
}
