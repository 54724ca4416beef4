import ArgumentParser
import Foundation
import KilnCompression
import KilnIngest
import KilnModel
import KilnPprof
import KilnStorage
import Logging

/// End-to-end ingest in one process: decode + normalise + WAL (fsync, group
/// commit) + head, as the Push handler does it, from concurrent pushers.
struct IngestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest throughput (input samples/s per core, profiles/s): real Go profiles and the reference workload."
    )

    @Option(help: "Pushes per workload.") var pushes = 20_000
    /// 64 in flight: the reference workload is 100 agents pushing on their own clocks.
    @Option(help: "Concurrent pushers.") var concurrency = 64
    @Option(help: "WAL directory (a temporary one when absent; removed afterwards).") var directory: String?
    @Option(help: "Run only this workload: real or reference.") var only: String?

    func run() async throws {
        print("workload            pushes  input samples   wall s   cpu s   profiles/s   Msamples/s   Msamples/s/core   raw MB/s/core   WAL syncs")
        if only != "reference" {
            let real = try realProfiles()
            try await measure("real Go profiles", inputs: real)
        }
        guard only != "real" else { return }
        let reference = ReferenceWorkload()
        // Pre-encode one profile per series and reuse them with advancing times: the
        // benchmark measures ingest, not the generator.
        let start: Int64 = 1_700_000_000_000_000_000
        let encoded = (0..<ReferenceWorkload.series).map { s in
            (labels: reference.labels(series: s), bytes: reference.pprof(series: s, index: 0, timeNanos: start))
        }
        try await measure("reference workload", inputs: encoded)
    }

    func realProfiles() throws -> [(labels: [Label], bytes: [UInt8])] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("testdata/pprof")
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
        let dir = directory ?? NSTemporaryDirectory() + "kiln-bench-ingest-\(UUID().uuidString)"
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let ingester = try await Ingester(walDirectory: dir, logger: Logger(label: "bench"))
        // Count input samples once per distinct input, outside the measurement.
        let counts = try inputs.map { try PprofDecoder.decode($0.bytes).sampleCount }
        let inputSamples = (0..<pushes).reduce(0) { $0 + counts[$1 % inputs.count] }
        let sizes = try inputs.map { Gzip.isGzip($0.bytes) ? try Gzip.decompress($0.bytes).count : $0.bytes.count }
        let rawBytes = (0..<pushes).reduce(0) { $0 + sizes[$1 % inputs.count] }
        let clock = CPUClock.now()
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        let i = next.take()
                        guard i < pushes else { return }
                        let (labels, bytes) = inputs[i % inputs.count]
                        let p = try PushConverter.convert(
                            labels: labels, rawProfile: bytes, id: "", nowNanos: 1_700_000_000_000_000_000 + Int64(i) * 1_000_000)
                        try await ingester.push([p], tenant: "bench")
                    }
                }
            }
            try await group.waitForAll()
        }
        let (wall, cpu) = clock.elapsed()
        let syncs = ingester.walStats?.syncs ?? 0
        ingester.close()
        print(
            name.padding(toLength: 18, withPad: " ", startingAt: 0)
                + String(
                    format: " %7d %14d %8.2f %7.2f %12.0f %12.2f %17.2f %15.1f %11d",
                    pushes, inputSamples, wall, cpu, Double(pushes) / wall, Double(inputSamples) / wall / 1e6,
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
