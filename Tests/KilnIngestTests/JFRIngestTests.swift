import KilnIngest
import KilnJFR
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

/// `format=jfr` on `/ingest`, as pyroscope-java sends it: the JDK's
/// recording in testdata/jfr, and recordings shaped as async-profiler writes
/// them (`JFRWriter`) for what the JDK never records (contexts, wall-clock
/// and live-object samples).
@Suite struct JFRIngestTests {
    static func request(_ name: String = "app", sampleRate: String? = nil) throws -> IngestRequest {
        var query = ["name": name, "format": "jfr", "from": "1700000000", "until": "1700000010", "spyName": "javaspy"]
        query["sampleRate"] = sampleRate
        return try IngestRequest(query: query, nowNanos: 0)
    }

    static func golden() throws -> [UInt8] { try TestData.bytes("jfr/workload.jfr.gz") }

    static func byType(_ out: [IngestProfile]) -> [String: (IngestProfile, Int)] {
        var m: [String: (IngestProfile, Int)] = [:]
        for p in out { for s in p.series { m[s.profileType.id] = (p, s.sampleType) } }
        return m
    }

    static func frames(_ p: Profile) -> Set<String> { Set(p.functions.map { p.strings[$0.name] }) }

    @Test func aJDKRecordingBecomesOneProfilePerKindOfEvent() throws {
        let gz = try Self.golden()
        let out = try IngestConverter.convert(Self.request(), contentType: "application/octet-stream", body: gz)
        let types = Self.byType(out)
        #expect(
            Set(types.keys) == [
                "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                "memory:alloc_in_new_tlab_objects:count:space:bytes", "memory:alloc_in_new_tlab_bytes:bytes:space:bytes",
                "memory:alloc_outside_tlab_objects:count:space:bytes", "memory:alloc_outside_tlab_bytes:bytes:space:bytes",
                "memory:alloc_sample_objects:count:space:bytes", "memory:alloc_sample_bytes:bytes:space:bytes",
                "mutex:contentions:count:mutex:count", "mutex:delay:nanoseconds:mutex:count",
                "block:contentions:count:block:count", "block:delay:nanoseconds:block:count",
            ])
        // The reader's events are the truth (JFRRecordingTests holds it to the JDK's).
        // Events whose stack the recording does not hold (or holds empty) weigh nothing.
        let events = try JFRRecording.chunks(try PprofDecoder.uncompressed(gz)).flatMap { c in
            c.events.filter { !(c.stackTraces[$0.stackTrace]?.frames.isEmpty ?? true) }
        }
        func weights(_ k: JFREventKind) -> (count: Int64, sum: Int64) {
            let e = events.filter { $0.kind == k }
            return (Int64(e.count), e.reduce(0) { $0 + $1.weight })
        }
        func total(_ type: String) -> Int64 { types[type].map { $0.0.profile.total(ofType: $0.1) } ?? -1 }
        // The JDK's period setting (profile: 10 ms) weighs each CPU sample; every sample of these threads is runnable.
        #expect(total("process_cpu:cpu:nanoseconds:cpu:nanoseconds") == weights(.executionSample).count * 10_000_000)
        #expect(total("memory:alloc_in_new_tlab_bytes:bytes:space:bytes") == weights(.allocationInNewTLAB).sum)
        #expect(total("memory:alloc_outside_tlab_objects:count:space:bytes") == weights(.allocationOutsideTLAB).count)
        #expect(total("memory:alloc_sample_bytes:bytes:space:bytes") == weights(.allocationSample).sum)
        #expect(total("mutex:delay:nanoseconds:mutex:count") == weights(.monitorEnter).sum)
        #expect(total("block:contentions:count:block:count") == weights(.threadPark).count)

        let cpu = try #require(types["process_cpu:cpu:nanoseconds:cpu:nanoseconds"]).0
        #expect(Self.frames(cpu.profile).isSuperset(of: ["Workload.fib", "Workload.burn", "java/lang/Thread.run"]))
        // JDK 17 names lambda classes `Workload$$Lambda$87+0x…/2147046752`, a form Pyroscope's merging
        // (JVMSymbolsTests) does not match: they stay as the JDK names them, as in Pyroscope.
        let lambdas = Self.frames(cpu.profile).filter { $0.contains("$$Lambda") }
        #expect(!lambdas.isEmpty && lambdas.allSatisfy { $0.hasPrefix("Workload$$Lambda$") && $0.contains("+0x") })
        let labels = cpu.series[0].labels
        #expect(labels["__name__"] == "process_cpu" && labels["service_name"] == "app" && labels["pyroscope_spy"] == "javaspy")
        #expect(labels["jfr_event"] == nil, "the JDK writes no async-profiler event setting")
        #expect(cpu.profile.period == 10_000_000 && cpu.timeNanos == 1_700_000_000_000_000_000)
    }

    @Test func anExplicitSampleRateWeighsCPUSamples() throws {
        let out = try IngestConverter.convert(Self.request(sampleRate: "50"), contentType: nil, body: Self.golden())
        let (cpu, t) = try #require(Self.byType(out)["process_cpu:cpu:nanoseconds:cpu:nanoseconds"])
        #expect(cpu.profile.period == 20_000_000)
        #expect(cpu.profile.total(ofType: t) % 20_000_000 == 0)
    }

    static let stackA = [JFRWriter.Frame("App", "work", line: 12), JFRWriter.Frame("java/lang/Thread", "run", line: 833)]
    static let stackB = [JFRWriter.Frame("App", "sleep", line: 20), JFRWriter.Frame("java/lang/Thread", "run", line: 833)]

    /// `LabelsSnapshot { contexts {1: {labels {1: 2}}}, strings {1: "region", 2: "eu-west-1", 3: "GET /api"} }`.
    static let snapshot: [UInt8] = {
        func field(_ n: UInt8, _ payload: [UInt8]) -> [UInt8] { [n << 3 | 2, UInt8(payload.count)] + payload }
        let context = field(1, [0x08, 1, 0x10, 2])  // labels map entry 1 → 2
        let contexts = field(1, [0x08, 1] + field(2, context))
        let strings =
            field(2, [0x08, 1] + field(2, Array("region".utf8))) + field(2, [0x08, 2] + field(2, Array("eu-west-1".utf8)))
            + field(2, [0x08, 3] + field(2, Array("GET /api".utf8)))
        return contexts + strings
    }()

    @Test func asyncProfilerEventsContextsAndTheWallSetting() throws {
        let recording = JFRWriter.recording([
            .setting(name: "event", value: "wall"),
            .execution(stack: Self.stackA, contextID: 1),
            .execution(stack: Self.stackA, contextID: 1),
            .execution(stack: Self.stackB, state: "STATE_SLEEPING"),
            .wallClock(stack: Self.stackB, samples: 3),
            .liveObject(stack: Self.stackA),
        ])
        let (ct, body) = MultipartBody.make([("jfr", "jfr", recording), ("labels", "labels", Self.snapshot)])
        let out = try IngestConverter.convert(Self.request(), contentType: ct, body: body)
        let types = Self.byType(out)
        #expect(
            Set(types.keys) == [
                "process_cpu:cpu:nanoseconds:cpu:nanoseconds", "wall:wall:nanoseconds:wall:nanoseconds", "memory:live:count:objects:count",
            ])
        // CPU: the runnable samples only, one period each (100 Hz), in the series of their context's labels.
        let cpu = try #require(types["process_cpu:cpu:nanoseconds:cpu:nanoseconds"]).0
        #expect(cpu.profile.total(ofType: 0) == 20_000_000)
        #expect(cpu.series.count == 1 && cpu.series[0].labels["region"] == "eu-west-1" && cpu.series[0].labels["jfr_event"] == "wall")
        // Wall (the event setting is wall): every execution sample, and a wall-clock event's 3 samples.
        let wall = try #require(types["wall:wall:nanoseconds:wall:nanoseconds"]).0
        #expect(wall.profile.total(ofType: 0) == 2 * 10_000_000 + 10_000_000 + 3 * 10_000_000)
        #expect(Set(wall.series.map { $0.labels["region"] ?? "" }) == ["eu-west-1", ""], "labels split the wall profile into two series")
        #expect(Self.frames(wall.profile) == ["App.work", "App.sleep", "java/lang/Thread.run"])
        let live = try #require(types["memory:live:count:objects:count"]).0
        #expect(live.profile.total(ofType: 0) == 1)
    }

    @Test func aCorruptRecordingIsRefusedWithItsOffset() throws {
        let raw = try PprofDecoder.uncompressed(try Self.golden())
        for cut in [10, 100, raw.count / 2, raw.count - 1] {
            let error = #expect(throws: IngestError.self) {
                _ = try IngestConverter.convert(Self.request(), contentType: nil, body: Array(raw[..<cut]))
            }
            #expect(error?.kind == .unprocessable && error?.message.contains("invalid JFR recording: JFR at byte") == true, "\(error!)")
        }
        var bad = raw
        bad[0] = 0
        let magic = #expect(throws: IngestError.self) { _ = try IngestConverter.convert(Self.request(), contentType: nil, body: bad) }
        #expect(magic?.message == "invalid JFR recording: JFR at byte 0: not a JFR chunk: the magic is not FLR\\0")
    }

    @Test func spansBecomeSpanIDsAndSpanNames() throws {
        let recording = JFRWriter.recording([
            .execution(stack: Self.stackA, contextID: 1, spanID: 0x1234_5678_9abc_def0, spanName: 3),
            .execution(stack: Self.stackA, contextID: 1),
        ])
        let (ct, body) = MultipartBody.make([("jfr", "jfr", recording), ("labels", "labels", Self.snapshot)])
        let cpu = try #require(try IngestConverter.convert(Self.request(), contentType: ct, body: body).first)
        // The span's id stays with its sample (SelectMergeSpanProfile); its name labels a series, as a pprof label does.
        #expect(cpu.sampleSpans.contains(try #require(SpanID.parse("123456789abcdef0"))))
        #expect(Set(cpu.series.map { $0.labels["span_name"] ?? "" }) == ["GET /api", ""])
        #expect(cpu.series.allSatisfy { $0.labels["region"] == "eu-west-1" && $0.labels["profile_id"] == nil })
    }

    @Test func multipartUploadsNeedTheirJFRAndReadableLabels() throws {
        let (ct, noJFR) = MultipartBody.make([("labels", "labels", Self.snapshot)])
        let missing = #expect(throws: IngestError.self) { _ = try IngestConverter.convert(Self.request(), contentType: ct, body: noJFR) }
        #expect(missing?.kind == .unprocessable && missing?.message.hasPrefix("jfr field is required") == true)
        let (ct2, badLabels) = MultipartBody.make([("jfr", "jfr", try Self.golden()), ("labels", "labels", [0x0A, 0x7F])])
        let bad = #expect(throws: IngestError.self) { _ = try IngestConverter.convert(Self.request(), contentType: ct2, body: badLabels) }
        #expect(bad?.kind == .unprocessable && bad?.message.hasPrefix("failed to parse labels form field") == true)
    }

    @Test func limitsApplyToRecordings() throws {
        var limits = IngestLimits()
        limits.maxProfileSizeBytes = 64 << 10  // smaller than the golden recording decompressed
        let big = #expect(throws: IngestError.self) {
            _ = try IngestConverter.convert(Self.request(), contentType: nil, body: Self.golden(), limits: limits)
        }
        #expect(big?.kind == .tooLarge && big?.message.contains("decompressed size exceeds maximum allowed size") == true)
        limits = IngestLimits()
        limits.maxProfileSamples = 3
        let many = #expect(throws: IngestError.self) {
            _ = try IngestConverter.convert(Self.request(), contentType: nil, body: Self.golden(), limits: limits)
        }
        #expect(many?.kind == .invalidArgument && many?.message.contains("max_profile_stacktrace_samples") == true)
        limits = IngestLimits()
        limits.maxLabelNamesPerSeries = 2  // __name__, service_name, pyroscope_spy
        let labels = #expect(throws: IngestError.self) {
            _ = try IngestConverter.convert(Self.request(), contentType: nil, body: Self.golden(), limits: limits)
        }
        #expect(labels?.message.contains("max_label_names_per_series") == true)
    }
}

/// Pyroscope's merging of JVM-generated names (grafana/jfr-parser's patterns).
@Suite struct JVMSymbolsTests {
    @Test(arguments: [
        ("jdk/internal/reflect/GeneratedMethodAccessor31", "jdk/internal/reflect/GeneratedMethodAccessor_"),
        ("org/example/OrderService$$Lambda$669.0x0000000800fd7318", "org/example/OrderService$$Lambda_"),
        ("Fib$$Lambda.0x00007ffa600c4da0", "Fib$$Lambda_"),
        ("App$$Lambda$14/0x0000000800c03000", "App$$Lambda_"),
        ("App$$Lambda$12", "App$$Lambda$12"),
        ("Workload$$Lambda$87+0x00007f7dac008a08/2147046752", "Workload$$Lambda$87+0x00007f7dac008a08/2147046752"),
        ("libzstd-jni-1.5.1-16931311898282279136.so", "libzstd-jni-_.so"),
        ("./tmp/libzstd-jni-1.5.1-16931311898282279136.so (deleted)", "libzstd-jni-_.so"),
        ("./tmp/libamazonCorrettoCryptoProvider109b39cf33c563eb.so", "libamazonCorrettoCryptoProvider_.so"),
        ("./tmp/amazonCorrettoCryptoProviderNativeLibraries.7382c2f79097f415/libcrypto.so (deleted)", "libamazonCorrettoCryptoProvider_.so"),
        ("libasyncProfiler-linux-x64-17b9a1d8156277a98ccc871afa9a8f69215f92.so", "libasyncProfiler-_.so"),
        ("libasyncProfiler-linux-x64-0000.so", "libasyncProfiler-linux-x64-0000.so"),
        ("java/lang/Thread", "java/lang/Thread"),
        ("$$Lambda$1.0x1", "$$Lambda$1.0x1"),
    ])
    func merged(_ symbol: String, _ expected: String) {
        #expect(JVMSymbols.merged(symbol) == expected)
    }
}
