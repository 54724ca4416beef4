import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

@Suite struct SeriesLabelsTests {
    @Test func normalisesPushedLabels() throws {
        let (set, name) = try SeriesLabels.normalise([
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
        let (set, name) = try SeriesLabels.normalise([Label("__name__", "godeltaprof_memory")])
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
        let (base, name) = try SeriesLabels.normalise([Label("__name__", "memory"), Label("service_name", "svc")])
        let targets = SeriesLabels.targets(base: base, name: name, profile: p)
        #expect(targets.map(\.profileType.id) == [
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
        let (base, name) = try SeriesLabels.normalise([Label("__name__", "wall")])
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
