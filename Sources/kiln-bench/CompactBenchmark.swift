import ArgumentParser
import Foundation
import KilnFormat
import KilnHead
import KilnIngest
import KilnModel
import KilnQuery
import KilnStorage

/// Compaction of the reference workload: `--parts` hot blocks, each a slice
/// of the time range, merged into one cold block. Run twice: `--prepare`
/// writes the hot blocks into `--directory`; then a fresh process merges them
/// and reports throughput and its peak RSS against the size the samples
/// would take decoded — what "bounded memory" is measured against.
struct CompactBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Compaction throughput and peak memory: reference-workload hot blocks merged into one cold block."
    )

    @Option(help: "Hours of the reference workload.") var hours = 1.0
    @Option(help: "Hot blocks to write (equal slices of the time range).") var parts = 4
    @Option(help: "Directory of the hot blocks.") var directory: String
    @Flag(help: "Write the hot blocks and exit.") var prepare = false

    func run() async throws {
        let dir = directory
        if prepare { return try await write(dir) }
        var sources: [Block] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where ULID(name) != nil {
            let block = try await Block(path: dir + "/" + name)
            if block.meta.level == 1 { sources.append(block) }
        }
        guard !sources.isEmpty else { throw ValidationError("no level-1 blocks in \(dir): run with --prepare first") }
        try await merge(sources, dir)
    }

    func write(_ dir: String) async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let workload = ReferenceWorkload()
        let perSeries = Int(hours * 3600 / 15)
        let start: Int64 = 1_700_000_000_000_000_000
        var sources: [Block] = []
        var samples = 0
        // Each part is built, written and dropped before the next: the head never holds more than one part.
        for part in 0..<parts {
            var head = HeadState()
            for i in (perSeries * part / parts)..<(perSeries * (part + 1) / parts) {
                for s in 0..<ReferenceWorkload.series {
                    let time = start + Int64(i) * ReferenceWorkload.intervalNanos + Int64(s) * 100_000_000
                    head.append(
                        try PushConverter.convert(
                            labels: workload.labels(series: s), rawProfile: workload.pprof(series: s, index: i, timeNanos: time),
                            id: "", nowNanos: time))
                }
            }
            let meta = try BlockWriter.write(head, tenant: "bench", ulid: .make(milliseconds: UInt64(part + 1)), directory: dir, codec: .lz4)
            samples += meta.stats.samples
            sources.append(try await Block(path: dir + "/" + meta.ulid))
        }
        print("wrote \(parts) hot blocks, \(samples) samples, into \(dir)")
    }

    func merge(_ sources: [Block], _ dir: String) async throws {
        let samples = sources.reduce(0) { $0 + $1.meta.stats.samples }
        let parts = sources.count
        let before = Self.peakRSS()
        let t0 = Date()
        let meta = try BlockCompactor.compact(sources, tenant: "bench", ulid: .make(milliseconds: 100), directory: dir)
        let seconds = Date().timeIntervalSince(t0)
        let after = Self.peakRSS()
        let inputBytes = sources.reduce(0) { $0 + $1.meta.files.reduce(0) { $0 + $1.size } }
        let outputBytes = meta.files.reduce(0) { $0 + $1.size }
        print(
            String(
                format:
                    "merged %d hot blocks (%d samples, %.1f MB) into one cold block (%d samples, %.1f MB, %.2f B/sample) in %.2f s: %.1f M samples/s",
                parts, samples, Double(inputBytes) / 1e6, meta.stats.samples, Double(outputBytes) / 1e6,
                Double(outputBytes) / Double(meta.stats.samples), seconds, Double(samples) / seconds / 1e6))
        print(
            String(
                format: "peak RSS before the merge %.0f MB, after %.0f MB; the samples decoded would take %.0f MB (16 B each)",
                before / 1e6, after / 1e6, Double(samples) * 16 / 1e6))
        let type = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        let merged = try await Block(path: dir + "/" + meta.ulid)
        let mergedGraph = try await Query(sources: [merged]).mergeStacktraces(
            profileType: type, selector: LabelSelector(), range: .all, maxNodes: 16_384)
        let sourcesGraph = try await Query(sources: sources).mergeStacktraces(
            profileType: type, selector: LabelSelector(), range: .all, maxNodes: 16_384)
        precondition(mergedGraph == sourcesGraph, "the merged block answers differently")
    }

    static func peakRSS() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) * 1024
    }
}
