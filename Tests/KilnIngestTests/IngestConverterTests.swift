import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

@Suite struct AtTimeTests {
    let now: Int64 = 1_700_000_000_000_000_000

    @Test func digitCountSelectsUnit() {
        #expect(AtTime.parse("1700000000", nowNanos: 0) == 1_700_000_000_000_000_000)
        #expect(AtTime.parse("1700000000123", nowNanos: 0) == 1_700_000_000_123_000_000)
        #expect(AtTime.parse("1700000000123456", nowNanos: 0) == 1_700_000_000_123_456_000)
        #expect(AtTime.parse("1700000000123456789", nowNanos: 0) == 1_700_000_000_123_456_789)
        #expect(AtTime.parse("20231114", nowNanos: 0) == 1_699_920_000_000_000_000)
    }

    @Test func relativeForms() {
        #expect(AtTime.parse("now", nowNanos: now) == now)
        #expect(AtTime.parse("", nowNanos: now) == now)
        #expect(AtTime.parse("now-1h", nowNanos: now) == now - 3_600_000_000_000)
        #expect(AtTime.parse("now+30m", nowNanos: now) == now + 1_800_000_000_000)
        #expect(AtTime.parse("now-2d", nowNanos: now) == now - 172_800_000_000_000)
        #expect(AtTime.parse("yesterday", nowNanos: now) == nil)
        #expect(AtTime.parse("now-1x", nowNanos: now) == nil)
    }
}

@Suite struct IngestRequestTests {
    @Test func parsesNameAndDefaults() throws {
        let r = try IngestRequest(query: ["name": "my-app.cpu{env = prod,region=eu}", "from": "1700000000", "until": "1700000010"], nowNanos: 0)
        #expect(r.appName == "my-app.cpu")
        #expect(r.labels == [Label("env", "prod"), Label("region", "eu")])
        #expect(r.fromNanos == 1_700_000_000_000_000_000)
        #expect(r.untilNanos == 1_700_000_010_000_000_000)
        #expect(r.sampleRate == 100)
        #expect(r.spyName == "unknown")
        #expect(r.units == "samples")
    }

    @Test(
        arguments: [
            [:], ["name": ""], ["name": "{a=b}"], ["name": "app{a=b"], ["name": "app{ab}"], ["name": "app{__name__=x}"],
            ["name": "app name"], ["name": "app", "from": "yesterday"],
        ] as [[String: String]])
    func rejectsBadMetadata(_ query: [String: String]) {
        #expect(throws: IngestError.self) { try IngestRequest(query: query, nowNanos: 0) }
    }
}

@Suite struct IngestConverterTests {
    func request(_ query: [String: String]) throws -> IngestRequest {
        try IngestRequest(query: query.merging(["from": "1700000000", "until": "1700000010"]) { a, _ in a }, nowNanos: 0)
    }

    @Test func foldedCPUIsScaledToNanoseconds() throws {
        let r = try request(["name": "myapp.cpu{env=prod}", "spyName": "pyspy", "sampleRate": "100"])
        let out = try IngestConverter.convert(r, contentType: "text/plain", body: Array("main;work 7\nmain 3\n".utf8))
        let p = try #require(out.first)
        #expect(p.series.map(\.profileType.id) == ["process_cpu:cpu:nanoseconds:cpu:nanoseconds"])
        // 10 samples at 100 Hz = 100 ms of CPU.
        #expect(p.profile.total(ofType: 0) == 100_000_000)
        let labels = p.series[0].labels
        #expect(labels["service_name"] == "myapp")
        #expect(labels["pyroscope_spy"] == "pyspy")
        #expect(labels["env"] == "prod")
        #expect(p.timeNanos == 1_700_000_000_000_000_000)
        #expect(p.durationNanos == 10_000_000_000)
    }

    @Test func foldedWithoutSampleRateKeepsCounts() throws {
        let r = try request(["name": "myapp", "sampleRate": "0"])
        let p = try #require(try IngestConverter.convert(r, contentType: nil, body: Array("a;b 5\n".utf8)).first)
        #expect(p.series[0].profileType.id == "process_cpu:samples:count::")
        #expect(p.profile.total(ofType: 0) == 5)
    }

    @Test func suffixSelectsType() throws {
        let r = try request(["name": "svc.alloc_space{service_name=given}"])
        let p = try #require(try IngestConverter.convert(r, contentType: nil, body: Array("a 5\n".utf8)).first)
        #expect(p.series[0].profileType.id == "memory:alloc_space:bytes::")
        #expect(p.series[0].labels["service_name"] == "given")
        #expect(p.series[0].labels["app_name"] == "svc")
        #expect(throws: IngestError.self) {
            try IngestConverter.convert(try request(["name": "svc.bogus"]), contentType: nil, body: Array("a 5\n".utf8))
        }
    }

    @Test func linesFormat() throws {
        let r = try request(["name": "app.wall", "format": "lines", "sampleRate": "10"])
        let p = try #require(try IngestConverter.convert(r, contentType: nil, body: Array("a;b\na;b\nc\n".utf8)).first)
        #expect(p.series[0].profileType.id == "wall:wall:nanoseconds:cpu:nanoseconds")
        #expect(p.profile.total(ofType: 0) == 300_000_000)
    }

    @Test func badFoldedCountIsUnprocessable() throws {
        do {
            _ = try IngestConverter.convert(try request(["name": "app"]), contentType: nil, body: Array("a;b notanumber\n".utf8))
            Issue.record("accepted")
        } catch {
            #expect((error as? IngestError)?.kind == .unprocessable)
        }
    }

    /// What pyroscope-go sends: multipart with a `profile` file part and a
    /// `sample_type_config` part.
    @Test func multipartPprofLikePyroscopeGo() throws {
        let profile = try TestData.bytes("pprof/go-mutex.pb.gz")
        let config =
            #"{"contentions":{"display-name":"mutex_count","units":"lock_samples"},"delay":{"display-name":"mutex_duration","units":"lock_nanoseconds"}}"#
        let (contentType, body) = MultipartBody.make([
            ("profile", "profile.pprof", profile), ("sample_type_config", "sample_type_config.json", Array(config.utf8)),
        ])
        let r = try request(["name": "goapp{__session_id__=abc,otel.scope.name=x}", "spyName": "gospy"])
        let p = try #require(try IngestConverter.convert(r, contentType: contentType, body: body).first)
        #expect(p.series.map(\.profileType.id) == ["mutex:contentions:count:contentions:count", "mutex:delay:nanoseconds:contentions:count"])
        #expect(p.series[0].labels["service_name"] == "goapp")
        #expect(p.series[0].labels["__session_id__"] == "abc")
        #expect(p.series[0].labels["otel_scope_name"] == "x")
        #expect(p.series[0].labels["pyroscope_spy"] == "gospy")
    }

    @Test func multipartCPUNamedProcessCPU() throws {
        let (contentType, body) = MultipartBody.make([("profile", "profile.pprof", try TestData.bytes("pprof/go-cpu.pb.gz"))])
        let p = try #require(try IngestConverter.convert(try request(["name": "goapp"]), contentType: contentType, body: body).first)
        // The profile's `worker` sample labels split it: one series per worker and sample type.
        #expect(Set(p.series.map(\.profileType.id)) == ["process_cpu:samples:count:cpu:nanoseconds", "process_cpu:cpu:nanoseconds:cpu:nanoseconds"])
        #expect(Set(p.series.compactMap { $0.labels["worker"] }) == ["math", "sort", "hash"])
        #expect(p.profile.total(ofType: 1) == 9_910_000_000)
    }

    @Test func prevProfileIsRejected() throws {
        let pprof = try TestData.bytes("pprof/go-heap.pb.gz")
        let (ct, body) = MultipartBody.make([("profile", "p.pprof", pprof), ("prev_profile", "p.pprof", pprof)])
        do {
            _ = try IngestConverter.convert(try request(["name": "goapp"]), contentType: ct, body: body)
            Issue.record("accepted")
        } catch {
            let e = error as? IngestError
            #expect(e?.kind == .unprocessable && e?.message.contains("unsupported client version") == true, "422, as Pyroscope")
        }
    }

    /// A string that is not UTF-8 refuses the profile on every path (422 on
    /// /ingest, 400 on Push): stored, it would reach strict readers of every answer.
    @Test func invalidUTF8IsRefused() throws {
        let bytes = TestData.invalidUTF8Profile()
        var decoded = try PprofDecoder.decode(bytes)  // the decoder keeps bytes as they are
        let bad = decoded.strings.count - 1
        #expect(decoded.strings.firstInvalidUTF8() == bad)
        let r = try request(["name": "app", "format": "pprof"])
        #expect(throws: IngestError(.unprocessable, "invalid profile: string \(bad) of the string table is not valid UTF-8")) {
            try IngestConverter.convert(r, contentType: nil, body: bytes)
        }
        #expect(throws: IngestError.self) {
            try PushConverter.convert(labels: [Label("__name__", "process_cpu"), Label("service_name", "a")], rawProfile: bytes, id: "", nowNanos: 0)
        }
        decoded.strings = StringTable(["", "é", "日本", "🙂", "cpu"])
        #expect(decoded.strings.firstInvalidUTF8() == nil)
    }

    @Test func multipartWithoutProfilePart() throws {
        let (ct, body) = MultipartBody.make([("other", "x", [1, 2, 3])])
        #expect(throws: IngestError.self) { try IngestConverter.convert(try request(["name": "goapp"]), contentType: ct, body: body) }
    }

    @Test func multipartParser() throws {
        let (ct, body) = MultipartBody.make([("a", "f.bin", [0, 13, 10, 45, 45, 1]), ("b", nil, Array("plain".utf8))])
        let parts = try Multipart.parse(body, boundary: try #require(Multipart.boundary(contentType: ct)))
        #expect(parts.map(\.name) == ["a", "b"])
        #expect(parts[0].filename == "f.bin")
        #expect(parts[0].body == [0, 13, 10, 45, 45, 1])
        #expect(parts[1].filename == nil)
        #expect(throws: IngestError.self) { try Multipart.parse(Array(body.dropLast(10)), boundary: "kilnboundary") }
    }
}
