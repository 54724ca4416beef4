import Foundation
import KilnCompression
import KilnJFR
import KilnTestSupport
import Testing

/// The JFR reader against the JDK's own reading of the same recordings
/// (`jfr print --json`): the golden recording in testdata/jfr, read forever,
/// and a fresh one made on this machine by every run.
@Suite struct JFRRecordingTests {
    static func golden() throws -> [UInt8] { try Gzip.decompress(try TestData.bytes("jfr/workload.jfr.gz")) }

    @Test func theGoldenRecordingReadsAsTheJDKReadsIt() throws {
        let chunks = try JFRRecording.chunks(try Self.golden())
        let expected = try EventSummary.of(jfrPrintJSON: try Gzip.decompress(try TestData.bytes("jfr/workload.jfr-print.json.gz")))
        let got = EventSummary.of(chunks)
        #expect(!expected.isEmpty)
        for kind in [JFREventKind.executionSample, .allocationSample, .allocationInNewTLAB, .allocationOutsideTLAB, .monitorEnter, .threadPark] {
            #expect(expected.keys.contains { $0.type == kind.rawValue }, "the golden recording has \(kind.rawValue) events")
        }
        Self.expectEqual(got, expected)
    }

    @Test func aFreshJDKRecordingReadsAsTheJDKReadsIt() throws {
        let dir = TestData.scratchDirectory("kiln-jfr")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try JDKRecording.record(milliseconds: 1_000, in: dir)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let json = try JDKRecording.printJSON(file)
        let chunks = try JFRRecording.chunks(bytes)
        Self.expectEqual(EventSummary.of(chunks), try EventSummary.of(jfrPrintJSON: json))
        // The settings, too: every (event type, name, value) the JDK shows.
        let jdkSettings = try EventSummary.settings(jfrPrintJSON: json).map { "\($0.1)=\($0.2)" }.sorted()
        let ours = chunks.flatMap(\.settings).map { "\($0.name)=\($0.value)" }.sorted()
        #expect(ours == jdkSettings)
        #expect(chunks.flatMap(\.settings).contains { $0.eventType == "jdk.ExecutionSample" && $0.name == "period" && $0.value == "10 ms" })
    }

    static func expectEqual(_ got: [EventSummary: Int], _ expected: [EventSummary: Int], sourceLocation: SourceLocation = #_sourceLocation) {
        let missing = expected.filter { got[$0.key] != $0.value }
        let extra = got.filter { expected[$0.key] != $0.value }
        #expect(
            missing.isEmpty && extra.isEmpty,
            "events differ: \(missing.count) summaries the JDK reads differently, e.g. \(missing.first.map { "\($0.key) ×\($0.value)" } ?? "-"); Kiln's: \(extra.first.map { "\($0.key) ×\($0.value)" } ?? "-")",
            sourceLocation: sourceLocation)
        #expect(got.values.reduce(0, +) == expected.values.reduce(0, +), sourceLocation: sourceLocation)
    }

    @Test func chunksFollowOneAnother() throws {
        // A recording is a sequence of chunks: two recordings end to end are one of two chunks.
        let one = try Self.golden()
        let chunks = try JFRRecording.chunks(one + one)
        #expect(chunks.count == 2)
        #expect(chunks[1].offset == one.count)
        #expect(EventSummary.of([chunks[1]]) == EventSummary.of([chunks[0]]))
    }

    @Test func everyTruncationIsAnErrorWithItsOffset() throws {
        let bytes = try Self.golden()
        // Every cut short of the whole fails cleanly, naming a byte inside the recording.
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 257)) {
            do {
                _ = try JFRRecording.chunks(Array(bytes[..<length]))
                Issue.record("a recording cut at \(length) of \(bytes.count) bytes was read")
            } catch {
                #expect(error.offset >= 0 && error.offset <= length)
            }
        }
    }

    @Test func corruptBytesNeverTrap() throws {
        var random = SeededRandom(seed: 18)
        let bytes = try Self.golden()
        var failures = 0
        for _ in 0..<300 {
            var b = bytes
            for _ in 0..<4 { b[Int(random.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: random.next()) }
            do { _ = try JFRRecording.chunks(b) } catch { failures += 1 }
        }
        // Most flips land in event payloads the reader skips; some must break it.
        #expect(failures > 0)
    }

    @Test func namedErrors() throws {
        #expect(throws: JFRError(offset: 0, reason: "empty recording")) { try JFRRecording.chunks([]) }
        var b = try Self.golden()
        b[0] = 0x47
        #expect(throws: JFRError(offset: 0, reason: "not a JFR chunk: the magic is not FLR\\0")) { try JFRRecording.chunks(b) }
        b = try Self.golden()
        b[5] = 9  // major version 9
        #expect(throws: JFRError(offset: 4, reason: "unsupported JFR version 9.1")) { try JFRRecording.chunks(b) }
    }
}

/// The recording of async-profiler's shape (`JFRWriter`) kept in
/// testdata/jfr: read by this test forever, and the fuzz target's seed.
@Suite struct AsyncProfilerShapeGoldenTests {
    static let file = "jfr/async-profiler-shape.jfr"
    static let frames = [JFRWriter.Frame("App", "work", line: 12), JFRWriter.Frame("java/lang/Thread", "run", line: 833)]

    static func recording() -> [UInt8] {
        JFRWriter.recording([
            .setting(name: "event", value: "wall"),
            .execution(stack: frames, contextID: 7),
            .execution(stack: Array(frames.dropFirst()), state: "STATE_SLEEPING"),
            .wallClock(stack: frames, samples: 3),
            .liveObject(stack: frames),
        ])
    }

    @Test func theGoldenFileIsCurrentAndReads() throws {
        if ProcessInfo.processInfo.environment["KILN_REGENERATE_GOLDEN"] == "1" {
            try Data(Self.recording()).write(to: TestData.url(Self.file))
        }
        let golden = try TestData.bytes(Self.file)
        #expect(golden == Self.recording(), "JFRWriter drifted from the golden file; KILN_REGENERATE_GOLDEN=1 rewrites it")
        let chunk = try #require(try JFRRecording.chunks(golden).first)
        #expect(chunk.events.map(\.kind) == [.executionSample, .executionSample, .wallClockSample, .liveObject])
        #expect(chunk.events.map(\.contextID) == [7, 0, 0, 0] && chunk.events.map(\.threadState) == ["STATE_RUNNABLE", "STATE_SLEEPING", nil, nil])
        #expect(chunk.events[2].weight == 3)
        #expect(chunk.settings == [JFRActiveSetting(eventType: "jdk.ExecutionSample", name: "event", value: "wall")])
        let st = try #require(chunk.stackTraces[chunk.events[0].stackTrace])
        #expect(st.frames.map { "\($0.className).\($0.methodName):\($0.line)" } == ["App.work:12", "java/lang/Thread.run:833"])
    }
}
