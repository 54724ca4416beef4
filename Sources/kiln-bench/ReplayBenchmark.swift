import ArgumentParser
import Foundation
import KilnFormat
import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnStorage
import Logging

/// WAL replay: writes a log of the reference workload (at least `--gib` GiB),
/// then times opening it — replay into fresh heads — which is Kiln's time to
/// ready after a restart.
struct ReplayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "WAL replay rate (samples/s and MB/s per core) and time to ready, over a WAL of the reference workload."
    )

    @Option(help: "WAL size to generate, in GiB.") var gib = 1.0
    @Option(help: "WAL directory (a temporary one when absent; removed afterwards).") var directory: String?
    @Option(help: "Replays to time; the best is reported.") var rounds = 3

    func run() async throws {
        let dir = directory ?? NSTemporaryDirectory() + "kiln-bench-replay-\(UUID().uuidString)"
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let written = try generate(dir, bytes: Int(gib * Double(1 << 30)))
        print(
            String(
                format: "generated %.2f GiB: %d records, %d samples (%.2f bytes per stored sample)",
                Double(written.bytes) / Double(1 << 30), written.records, written.samples, Double(written.bytes) / Double(written.samples)))
        var best = Double.infinity
        var stats: Ingester.ReplayStats?
        for _ in 0..<rounds {
            let clock = CPUClock.now()
            let ingester = try await Ingester(walDirectory: dir, logger: Logger(label: "bench"))
            let (wall, _) = clock.elapsed()
            stats = ingester.replay
            ingester.close()
            best = min(best, wall)
        }
        guard let stats else { return }
        print(
            String(
                format:
                    "replay: %d segments, %d records, %d samples, %.1f MB in %.2f s (best of %d): %.2f M samples/s, %.0f MB/s, time to ready %.2f s",
                stats.segments, stats.records, stats.samples, Double(stats.bytes) / 1e6, best, rounds,
                Double(stats.samples) / best / 1e6, Double(stats.bytes) / best / 1e6, best))
    }

    /// Writes the reference workload through the real WAL writer: warm-up
    /// pushes go through the head (they introduce the symbols and series), the
    /// rest are profile records built from the warm-up's stack ids.
    func generate(_ dir: String, bytes target: Int) throws -> (bytes: Int, records: Int, samples: Int) {
        var options = WriteAheadLog.Options()
        options.sync = .interval(.milliseconds(1000))
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lock = try DirectoryLock(directory: dir)
        let wal = WriteAheadLog(directory: dir, firstSegment: 1, lock: lock, options: options)
        let workload = ReferenceWorkload()
        var head = HeadState()
        var templates: [IngestRecord.ProfileEntry] = []
        var bytes = 0
        var records = 0
        var samples = 0
        let start: Int64 = 1_700_000_000_000_000_000
        for s in 0..<ReferenceWorkload.series {
            for v in 0..<4 {
                let raw = workload.pprof(series: s, index: v, timeNanos: start)
                let p = try PushConverter.convert(labels: workload.labels(series: s), rawProfile: raw, id: "", nowNanos: start)
                let record = head.append([p], tenant: "bench")
                templates += record.profiles
                let framed = WALRecord.ingest(record)
                bytes += framed.framed().count
                records += 1
                samples += record.sampleCount
                _ = try wal.enqueue(framed)
            }
        }
        var empty = IngestRecord(tenant: "bench")
        empty.firstString = UInt32(head.symbols.strings.count)
        empty.firstMapping = UInt32(head.symbols.mappings.count)
        empty.firstFunction = UInt32(head.symbols.functions.count)
        empty.firstLocation = UInt32(head.symbols.locations.count)
        empty.firstStack = UInt32(head.symbols.stacks.count)
        empty.firstSeries = UInt32(head.series.count)
        var i = 0
        while bytes < target {
            var r = empty
            var p = templates[i % templates.count]
            p.timeNanos = start + Int64(i / templates.count + 1) * ReferenceWorkload.intervalNanos
            r.profiles = [p]
            let record = WALRecord.ingest(r)
            let lsn = try wal.enqueue(record)
            bytes += record.framed().count
            records += 1
            samples += p.stacks.count
            i += 1
            // Bound the writer's queue: wait for it every 4096 records.
            if i % 4096 == 0 { try waitSync(wal, lsn) }
        }
        wal.close()
        return (bytes, records, samples)
    }

    private func waitSync(_ wal: WriteAheadLog, _ lsn: UInt64) throws {
        let done = DispatchSemaphore(value: 0)
        let box = ErrorBox()
        Task {
            do { try await wal.waitDurable(lsn) } catch { box.error = error }
            done.signal()
        }
        done.wait()
        if let e = box.error { throw e }
    }
}

/// Carries an error out of a task to a thread blocked on a semaphore; written
/// before `signal()`, read after `wait()`, which orders the accesses.
final class ErrorBox: @unchecked Sendable {
    var error: (any Error)?
}
