import Foundation
import KilnPprof

/// Paths to the repository's files, found from this source file's location.
public enum TestData {
    /// The repository root (…/Tests/KilnTestSupport/TestData.swift → …/).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file under `testdata/`.
    public static func url(_ relative: String) -> URL { root.appendingPathComponent("testdata").appendingPathComponent(relative) }

    /// The bytes of a file under `testdata/`.
    public static func bytes(_ relative: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(relative))) }

    /// A pprof file of `testdata/` with its sample labels removed (raw
    /// pprof): for tests about something else than the series that sample
    /// labels split a profile into.
    public static func withoutSampleLabels(_ relative: String) throws -> [UInt8] {
        var p = try PprofDecoder.decode(try bytes(relative))
        p.sampleLabels = []
        p.sampleLabelOffsets = [UInt32](repeating: 0, count: p.sampleCount + 1)
        return PprofEncoder.encode(p)
    }

    /// A new empty directory under the system's temporary directory, named
    /// `prefix` and a UUID; the caller removes it.
    public static func scratchDirectory(_ prefix: String) -> String {
        let dir = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A one-sample CPU pprof (not gzipped) whose leaf function's name is the
    /// bytes `ma 0xC3 0x28 in`: not UTF-8 (a lead byte followed by ASCII).
    public static func invalidUTF8Profile() -> [UInt8] {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        b.addSample(stack: ["main", "work"], values: [10_000_000])
        var p = b.build(timeNanos: 1_700_000_000_000_000_000, durationNanos: 10_000_000_000)
        let bad: [UInt8] = [0x6D, 0x61, 0xC3, 0x28, 0x69, 0x6E]
        let index = bad.withUnsafeBufferPointer { p.strings.append(utf8: $0) }
        p.functions[p.functions.count - 1].name = index
        return PprofEncoder.encode(p)
    }

    /// The real Go runtime profiles in testdata/pprof (gzip-compressed).
    public static let goProfiles = ["go-cpu.pb.gz", "go-heap.pb.gz", "go-allocs.pb.gz", "go-goroutine.pb.gz", "go-mutex.pb.gz", "go-block.pb.gz"]
    /// The raw pprof payloads the Python pyroscope-io agent sent.
    public static let pythonProfiles = ["pyroscope-io-1.4.0-process_cpu.pb", "pyroscope-io-1.4.0-memory.pb"]
}
