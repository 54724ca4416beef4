import ArgumentParser
import Foundation
import KilnFormat
import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnQuery
import KilnStorage

/// Bytes on disk per stored sample for blocks of the reference workload, hot
/// (lz4) and cold (zstd), against the gzipped pprof the agents sent for the
/// same profiles; and the time to write each block and to answer a
/// whole-range flame graph from it.
struct BlockBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocks",
        abstract: "Block size (bytes per stored sample, hot lz4 and cold zstd) and write/query time on the reference workload."
    )

    @Option(help: "Hours of the reference workload (100 series, a profile every 15 s each).") var hours = 1.0
    @Option(help: "Directory for the blocks (a temporary one when absent; removed afterwards).") var directory: String?

    func run() async throws {
        let dir = directory ?? NSTemporaryDirectory() + "kiln-bench-blocks-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: dir) } }

        let workload = ReferenceWorkload()
        let perSeries = Int(hours * 3600 / 15)
        var head = HeadState()
        var inputBytes = 0
        let start: Int64 = 1_700_000_000_000_000_000
        let t0 = Date()
        for i in 0..<perSeries {
            for s in 0..<ReferenceWorkload.series {
                let time = start + Int64(i) * ReferenceWorkload.intervalNanos + Int64(s) * 100_000_000
                let bytes = workload.pprof(series: s, index: i, timeNanos: time)
                inputBytes += bytes.count
                head.append(try PushConverter.convert(labels: workload.labels(series: s), rawProfile: bytes, id: "", nowNanos: time))
            }
        }
        print(
            String(
                format: "generated and ingested %d profiles, %d stored samples in %.1f s (%d stack nodes, %d locations)",
                head.profileCount, head.sampleCount, Date().timeIntervalSince(t0), head.symbols.stacks.count, head.symbols.locations.count))
        let samples = Double(head.sampleCount)
        print(String(format: "baseline: the agents' gzipped pprof for the same profiles: %.2f bytes per stored sample", Double(inputBytes) / samples))
        print("codec  index B/s  symbols B/s  profiles B/s  total B/s   vs pprof.gz   write s   flame graph ms (block)   flame graph ms (head)")
        let type = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        let headMs = try await Self.time {
            _ = try await Query(sources: [head]).mergeStacktraces(profileType: type, selector: LabelSelector(), range: .all, maxNodes: 16_384)
        }
        for codec in [PageCodec.lz4, .zstd] {
            let w0 = Date()
            let meta = try BlockWriter.write(
                head, tenant: "bench", ulid: .make(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000)), directory: dir, codec: codec)
            let writeSeconds = Date().timeIntervalSince(w0)
            let size = { (name: String) in Double(meta.files.first { $0.name == name }!.size) / samples }
            let total = Double(meta.files.reduce(0) { $0 + $1.size }) / samples
            let block = try await Block(path: dir + "/" + meta.ulid)
            let blockGraph = try await Query(sources: [block]).mergeStacktraces(
                profileType: type, selector: LabelSelector(), range: .all, maxNodes: 16_384)
            let headGraph = try await Query(sources: [head]).mergeStacktraces(
                profileType: type, selector: LabelSelector(), range: .all, maxNodes: 16_384)
            precondition(
                blockGraph == headGraph,
                "block and head answers differ")
            let blockMs = try await Self.time {
                _ = try await Query(sources: [block]).mergeStacktraces(profileType: type, selector: LabelSelector(), range: .all, maxNodes: 16_384)
            }
            print(
                codec.name.padding(toLength: 6, withPad: " ", startingAt: 0)
                    + String(
                        format: " %9.3f %12.3f %13.3f %10.3f %12.2fx %9.2f %24.1f %22.1f", size(BlockSchema.indexFile), size(BlockSchema.symbolsFile),
                        size(BlockSchema.profilesFile), total, Double(inputBytes) / samples / total, writeSeconds, blockMs, headMs))
        }
    }

    /// Best of three, in milliseconds.
    static func time(_ body: () async throws -> Void) async throws -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            let t = Date()
            try await body()
            best = min(best, Date().timeIntervalSince(t) * 1000)
        }
        return best
    }
}
