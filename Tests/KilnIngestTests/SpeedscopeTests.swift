import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

/// `format=speedscope` on `/ingest`, on the project's own files
/// (testdata/speedscope): evented and sampled profiles, their units, and
/// duplicates merged, into the profile types Pyroscope gives them.
@Suite struct SpeedscopeTests {
    static func request(_ name: String, sampleRate: String? = nil) throws -> IngestRequest {
        var query = ["name": name, "format": "speedscope", "from": "1700000000", "until": "1700000010"]
        query["sampleRate"] = sampleRate
        return try IngestRequest(query: query, nowNanos: 0)
    }

    static func stacks(_ p: SpeedscopeFile.Profile) -> [String: Int64] {
        p.stacks.reduce(into: [:]) { $0[$1.frames.joined(separator: ";"), default: 0] += $1.value }
    }

    @Test func anEventedProfileGivesEachOpenStackItsTime() throws {
        let file = try SpeedscopeFile(json: TestData.bytes("speedscope/evented-ms.speedscope.json"))
        #expect(file.profiles.map(\.name) == ["main thread"] && file.profiles[0].unit == .milliseconds)
        // Hundredths of a millisecond: main's own time is before parse opens and after eval closes.
        #expect(Self.stacks(file.profiles[0]).filter { $0.value != 0 } == ["main": 325, "main;parse": 250, "main;eval": 625])

        let out = try IngestConverter.convert(
            Self.request("app{env=prod}"), contentType: "application/json", body: TestData.bytes("speedscope/evented-ms.speedscope.json"))
        let p = try #require(out.first)
        #expect(out.count == 1)
        #expect(p.series.map(\.profileType.id) == ["process_cpu:cpu:nanoseconds:cpu:nanoseconds"])
        #expect(p.profile.total(ofType: 0) == 12_000_000, "12 ms in nanoseconds")
        let labels = p.series[0].labels
        #expect(labels["service_name"] == "app" && labels["profile_name"] == "main thread" && labels["env"] == "prod")
    }

    @Test func sampledProfilesMergeDuplicatesAndTakeTheirUnitAsType() throws {
        let body = try TestData.bytes("speedscope/sampled-multi.speedscope.json")
        let file = try SpeedscopeFile(json: body)
        // Ordered by start value; the two "one" profiles merged.
        #expect(file.profiles.map(\.name) == ["one", "heap"])
        #expect(Self.stacks(file.profiles[0]) == ["a;b": 200, "a;b;c": 250, "a": 50])
        #expect(Self.stacks(file.profiles[1]) == ["a;c": 4096])

        let out = try IngestConverter.convert(Self.request("app"), contentType: nil, body: body)
        #expect(out.map { $0.series.map(\.profileType.id) } == [["wall:wall:nanoseconds:cpu:nanoseconds"], ["memory:samples:bytes::"]])
        #expect(out.map { $0.profile.total(ofType: 0) } == [5_000_000_000, 4096])
        #expect(out.map { $0.series[0].labels["service_name"] } == ["app", "app"])
        #expect(out.map { $0.series[0].labels["profile_name"] } == ["one", "heap"])
        #expect(out.map(\.sizeBytes).reduce(0, +) == body.count, "the rate limit counts the body once")
        // An explicit sampling rate is kept: 5 s of weight × 100 at 50 Hz.
        let at50 = try IngestConverter.convert(Self.request("app", sampleRate: "50"), contentType: nil, body: body)
        #expect(at50[0].profile.total(ofType: 0) == 500 * 20_000_000)
    }

    @Test(arguments: [
        ("{", "not a speedscope JSON file"),
        (#"{"$schema":"https://example.com/other.json","profiles":[]}"#, "unknown schema"),
        (Self.file(#"{"type":"sampled","name":"p","unit":"hours","samples":[[0]],"weights":[1]}"#), "unknown unit \"hours\""),
        (Self.file(#"{"type":"sampled","name":"p","unit":"none","samples":[[0,7]],"weights":[1]}"#), "frame 7 out of range"),
        (Self.file(#"{"type":"sampled","name":"p","unit":"none","samples":[[0]],"weights":[1,2]}"#), "1 samples but 2 weights"),
        (Self.file(#"{"type":"sampled","name":"p","unit":"none","samples":[[0]],"weights":[-1]}"#), "negative"),
        (
            Self.file(#"{"type":"evented","name":"p","unit":"none","events":[{"type":"O","frame":0,"at":2},{"type":"C","frame":0,"at":1}]}"#),
            "before the previous"
        ),
        (Self.file(#"{"type":"evented","name":"p","unit":"none","events":[{"type":"C","frame":0,"at":1}]}"#), "not the innermost open frame"),
        (Self.file(#"{"type":"evented","name":"p","unit":"none","events":[{"type":"X","frame":0,"at":1}]}"#), "unknown type \"X\""),
        (Self.file(#"{"type":"other","name":"p","unit":"none"}"#), "profile type \"other\" is not supported"),
    ])
    func badFilesAreUnprocessableWithTheirReason(_ json: String, _ reason: String) throws {
        let request = try Self.request("app")
        do {
            _ = try IngestConverter.convert(request, contentType: nil, body: Array(json.utf8))
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.kind == .unprocessable && error.message.hasPrefix("speedscope: ") && error.message.contains(reason), "\(error)")
        }
    }

    /// A speedscope file of one profile over the frames a and b.
    static func file(_ profile: String) -> String {
        #"{"$schema":"https://www.speedscope.app/file-format-schema.json","shared":{"frames":[{"name":"a"},{"name":"b"}]},"profiles":["#
            + profile + "]}"
    }
}
