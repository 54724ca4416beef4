import ArgumentParser
import Foundation
import KilnArrow
import KilnCompression
import KilnIngest
import KilnJFR
import KilnModel
import KilnOTLP
import KilnPprof
import KilnStorage
import Logging

/// End-to-end ingest in one process: decode + normalise + WAL (fsync, group
/// commit) + head, as the Push handler does it, from concurrent pushers.
struct IngestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract:
            "Ingest throughput (input samples/s per core, profiles/s): real Go profiles as pprof and as OTLP, a JDK recording (JFR), Parca Agent's WriteArrow record, decode only and end to end, and the reference workload."
    )

    @Option(help: "Pushes per workload.") var pushes = 20_000
    /// 64 in flight: the reference workload is 100 agents pushing on their own clocks.
    @Option(help: "Concurrent pushers.") var concurrency = 64
    @Option(help: "WAL directory (a temporary one when absent; removed afterwards).") var directory: String?
    @Option(help: "Uploads of the JDK recording (each one converts a whole recording).") var jfrPushes = 2_000
    @Option(help: "Run only this workload: real (pprof and OTLP), jfr, arrow or reference.") var only: String?

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func run() async throws {
        print("workload            pushes  input samples   wall s   cpu s   profiles/s   Msamples/s   Msamples/s/core   raw MB/s/core   WAL syncs")
        if only == nil || only == "real" {
            let real = try realProfiles()
            // Decode only: the bound on ingest, and the pprof baseline of JFR's figures below.
            let (samples, bytes) = try totals(real.map(\.bytes), uploads: pushes)
            try decodeOnly("  pprof decode only", uploads: pushes, samples: samples, bytes: bytes) { i in
                _ = try PprofDecoder.decode(real[i % real.count].bytes)
            }
            try await measure("real Go profiles", inputs: real)
            try await measureOTLP(real, samples: samples)
        }
        if only == nil || only == "arrow" {
            try await measureArrow()
        }
        if only == nil || only == "jfr" {
            try await measureJFR()
        }
        guard only == nil || only == "reference" else { return }
        let reference = ReferenceWorkload()
        // Pre-encode one profile per series and reuse them with advancing times: the
        // benchmark measures ingest, not the generator.
        let start: Int64 = 1_700_000_000_000_000_000
        let encoded = (0..<ReferenceWorkload.series).map { s in
            (labels: reference.labels(series: s), bytes: reference.pprof(series: s, index: 0, timeNanos: start))
        }
        try await measure("reference workload", inputs: encoded)
    }

    /// testdata/jfr/workload.jfr.gz as pyroscope-java would send it (`/ingest?format=jfr`, gzipped body):
    /// the reader alone (the recording decompressed once, outside the measurement), then the
    /// converter and the ingester, end to end. Samples count the recording's profiling events.
    func measureJFR() async throws {
        let gz = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent("testdata/jfr/workload.jfr.gz")))
        let raw = try Gzip.decompress(gz)
        let events = try JFRRecording.chunks(raw).reduce(0) { $0 + $1.events.count }
        let (samples, bytes) = (events * jfrPushes, raw.count * jfrPushes)
        try decodeOnly("  JFR decode only", uploads: jfrPushes, samples: samples, bytes: bytes) { _ in
            _ = try JFRRecording.chunks(raw)
        }
        let request = try IngestRequest(query: ["name": "bench", "format": "jfr", "spyName": "javaspy"], nowNanos: 1_700_000_000_000_000_000)
        try decodeOnly("  JFR convert only", uploads: jfrPushes, samples: samples, bytes: bytes) { _ in
            _ = try IngestConverter.convert(request, contentType: nil, body: gz)
        }
        try await measure("JDK recording (JFR)", uploads: jfrPushes, samples: samples, bytes: bytes) { i in
            var r = request
            r.fromNanos = 1_700_000_000_000_000_000 + Int64(i) * 1_000_000
            r.untilNanos = r.fromNanos + 10_000_000_000
            return try IngestConverter.convert(r, contentType: nil, body: gz)
        }
    }

    /// The real Go profiles as OTLP export requests (`OTLPWorkload`), one per
    /// profile, binary protobuf as an OTel exporter sends them: protobuf
    /// decoding alone, decoding and conversion to pprof profiles
    /// (`OTLPProfiles`), then end to end. Input samples are the pprof
    /// samples, so the figures compare with pprof's on the same stacks.
    func measureOTLP(_ real: [(labels: [Label], bytes: [UInt8])], samples: Int) async throws {
        let requests: [[UInt8]] = try real.map { input in
            try OTLPWorkload.request(try PprofDecoder.decode(input.bytes), service: "bench").serializedBytes()
        }
        let bytes = (0..<pushes).reduce(0) { $0 + requests[$1 % requests.count].count }
        try decodeOnly("  OTLP protobuf only", uploads: pushes, samples: samples, bytes: bytes) { i in
            _ = try OTLPProfiles.Request(serializedBytes: requests[i % requests.count])
        }
        try decodeOnly("  OTLP decode only", uploads: pushes, samples: samples, bytes: bytes) { i in
            _ = try OTLPProfiles.convert(try OTLPProfiles.Request(serializedBytes: requests[i % requests.count]), nowNanos: 0)
        }
        try await measure("OTLP (same profiles)", uploads: pushes, samples: samples, bytes: bytes) { i in
            let converted = try OTLPProfiles.convert(try OTLPProfiles.Request(serializedBytes: requests[i % requests.count]), nowNanos: 0)
            return try converted.map { c in
                var c = c
                c.profile.timeNanos = 1_700_000_000_000_000_000 + Int64(i) * 1_000_000
                return try PushConverter.convert(c, nowNanos: 0)
            }
        }
    }

    /// testdata/arrow/parca-v2-samples.arrows (Parca Agent's v2 record, pyarrow-written, LZ4 buffers) as
    /// WriteArrow carries it: the Arrow reader alone, reader and conversion (`ParcaArrowSamples`), then end
    /// to end. Input samples are the record's rows; bytes its compressed size.
    func measureArrow() async throws {
        let stream = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent("testdata/arrow/parca-v2-samples.arrows")))
        let rows = try ArrowStreamReader.read(stream).batches.reduce(0) { $0 + $1.length }
        let uploads = pushes
        let (samples, bytes) = (rows * uploads, stream.count * uploads)
        try decodeOnly("  Arrow read only", uploads: uploads, samples: samples, bytes: bytes) { _ in
            _ = try ArrowStreamReader.read(stream)
        }
        try decodeOnly("  Arrow decode only", uploads: uploads, samples: samples, bytes: bytes) { _ in
            _ = try ParcaArrowSamples.convert(try ArrowStreamReader.read(stream))
        }
        try await measure("Parca WriteArrow", uploads: uploads, samples: samples, bytes: bytes) { i in
            try ParcaArrowSamples.convert(try ArrowStreamReader.read(stream)).map { c in
                var c = c
                c.profile.timeNanos += Int64(i) * 1_000_000_000
                return try PushConverter.convert(c, nowNanos: 0)
            }
        }
    }

    /// Input samples and uncompressed bytes of `uploads` pprof uploads taking `inputs` round-robin,
    /// counted once per distinct input, outside any measurement.
    func totals(_ inputs: [[UInt8]], uploads: Int) throws -> (samples: Int, bytes: Int) {
        let counts = try inputs.map { try PprofDecoder.decode($0).sampleCount }
        let sizes = try inputs.map { Gzip.isGzip($0) ? try Gzip.decompress($0).count : $0.count }
        return (0..<uploads).reduce(into: (0, 0)) { t, i in
            t.0 += counts[i % inputs.count]
            t.1 += sizes[i % inputs.count]
        }
    }

    /// One thread running `body` for every upload: a decoder's rate, no WAL or head.
    /// `samples` and `bytes` are the totals of all uploads.
    func decodeOnly(_ name: String, uploads: Int, samples inputSamples: Int, bytes: Int, _ body: (Int) throws -> Void) throws {
        let clock = CPUClock.now()
        for i in 0..<uploads { try body(i) }
        let (wall, cpu) = clock.elapsed()
        report(name, uploads, inputSamples, wall, cpu, bytes, syncs: 0)
    }

    func realProfiles() throws -> [(labels: [Label], bytes: [UInt8])] {
        let dir = Self.root.appendingPathComponent("testdata/pprof")
        let names = [
            "go-cpu.pb.gz": "process_cpu", "go-heap.pb.gz": "memory", "go-allocs.pb.gz": "memory",
            "go-goroutine.pb.gz": "goroutine", "go-mutex.pb.gz": "mutex", "go-block.pb.gz": "block",
        ]
        return try names.sorted { $0.key < $1.key }.map { file, name in
            ([Label("__name__", name), Label("service_name", "bench")], [UInt8](try Data(contentsOf: dir.appendingPathComponent(file))))
        }
    }

    /// Pushes `inputs` round-robin, `pushes` times in all.
    func measure(_ name: String, inputs: [(labels: [Label], bytes: [UInt8])]) async throws {
        let (samples, bytes) = try totals(inputs.map(\.bytes), uploads: pushes)
        try await measure(name, uploads: pushes, samples: samples, bytes: bytes) { i in
            let (labels, bytes) = inputs[i % inputs.count]
            return [try PushConverter.convert(labels: labels, rawProfile: bytes, id: "", nowNanos: 1_700_000_000_000_000_000 + Int64(i) * 1_000_000)]
        }
    }

    /// `uploads` uploads from `concurrency` pushers, each converted by `convert` and pushed.
    /// `samples` and `bytes` are the totals of all uploads.
    func measure(
        _ name: String, uploads: Int, samples inputSamples: Int, bytes: Int, convert: @escaping @Sendable (Int) throws -> [IngestProfile]
    ) async throws {
        let dir = directory ?? NSTemporaryDirectory() + "kiln-bench-ingest-\(UUID().uuidString)"
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let ingester = try await Ingester(walDirectory: dir, logger: Logger(label: "bench"))
        let clock = CPUClock.now()
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let i = next.take()
                        guard i < uploads else { return }
                        try await ingester.push(try convert(i), tenant: "bench")
                    }
                }
            }
            try await group.waitForAll()
        }
        let (wall, cpu) = clock.elapsed()
        let syncs = ingester.walStats?.syncs ?? 0
        ingester.close()
        report(name, uploads, inputSamples, wall, cpu, bytes, syncs: Int(syncs))
    }

    func report(_ name: String, _ uploads: Int, _ inputSamples: Int, _ wall: Double, _ cpu: Double, _ rawBytes: Int, syncs: Int) {
        print(
            name.padding(toLength: 18, withPad: " ", startingAt: 0)
                + String(
                    format: " %7d %14d %8.2f %7.2f %12.0f %12.2f %17.2f %15.1f %11d",
                    uploads, inputSamples, wall, cpu, Double(uploads) / wall, Double(inputSamples) / wall / 1e6,
                    Double(inputSamples) / cpu / 1e6, Double(rawBytes) / cpu / 1e6, syncs))
    }
}

/// A shared counter handing out work items to the pushers.
final class Counter: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = 0
    func take() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
