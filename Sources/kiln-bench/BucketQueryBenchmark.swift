import ArgumentParser
import Foundation
import Glibc
import KilnFormat
import KilnHead
import KilnIngest
import KilnModel
import KilnQuery
import KilnStorage

/// A whole-range CPU flame graph over blocks served from a bucket
/// (moto_server): with an empty cache (cold: blocks opened from the bucket,
/// then queried), with the cache filled (warm), and — the baseline, same
/// run — over the same blocks on local disk.
///
/// The blocks are `ReferenceBlocks`, prepared once in `--directory`.
struct BucketQueryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bucket-query",
        abstract: "Flame-graph latency over blocks in a bucket (moto_server): cold cache, warm cache, local disk."
    )

    @Option(help: "Hours of the reference workload (100 series, a profile every 15 s each).") var hours = 24
    @Option(help: "Directory of the prepared blocks (written when it has none; reused otherwise).") var directory: String
    @Option(help: "S3 endpoint; default: start moto_server on a free 127.0.0.1 port.") var endpoint: String?
    @Option(help: "Cache size on disk.") var cacheBytes = 4 << 30
    @Option(help: "Cache size in memory.") var cacheMemoryBytes = 64 << 20

    func run() async throws {
        let blocksDir = directory + "/blocks"
        let local = try await ReferenceBlocks.open(blocksDir, hours: hours)
        let samples = local.reduce(0) { $0 + $1.meta.stats.samples }
        let bytes = local.reduce(0) { $0 + $1.meta.files.reduce(0) { $0 + $1.size } }
        print(
            String(
                format: "%d blocks (levels %@), %.1f M samples, %.1f MB", local.count, local.map { String($0.meta.level) }.joined(separator: ","),
                Double(samples) / 1e6, Double(bytes) / 1e6))

        let type = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        func flameGraph(_ blocks: [Block]) async throws -> FlameGraph {
            try await Query(sources: blocks).mergeStacktraces(profileType: type, selector: LabelSelector(), range: .all, maxNodes: 16_384)
        }
        let expected = try await flameGraph(local)
        let localMs = try await BlockBenchmark.time { _ = try await flameGraph(local) }

        let (bucket, moto) = try await ObjectStoreBenchmark.bucket(endpoint)
        defer { if let moto { kill(moto.processIdentifier, SIGKILL) } }
        let t0 = Date()
        for b in local { try await BlockShipper(store: bucket).ship(b.meta, from: blocksDir + "/" + b.ulid) }
        print(
            String(
                format: "shipped to the bucket in %.1f s (%.0f MB/s)", Date().timeIntervalSince(t0),
                Double(bytes) / Date().timeIntervalSince(t0) / 1e6))

        let cacheDir = directory + "/cache-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: cacheDir) }
        let cache = try ObjectCache(directory: cacheDir, options: .init(capacityBytes: cacheBytes, memoryBytes: cacheMemoryBytes))
        func open(_ cache: ObjectCache) async throws -> [Block] {
            var out: [Block] = []
            for b in local { out.append(try await Block(bucket: bucket, tenant: b.meta.tenant, ulid: b.ulid, cache: cache)) }
            return out
        }
        var t = Date()
        let remote = try await open(cache)
        let openMs = Date().timeIntervalSince(t) * 1000
        let opened = cache.stats
        t = Date()
        let cold = try await flameGraph(remote)
        let coldMs = Date().timeIntervalSince(t) * 1000
        precondition(cold == expected, "the bucket answers differently")
        let afterCold = cache.stats
        let warmMs = try await BlockBenchmark.time { _ = try await flameGraph(remote) }
        // A restarted process: the same cache directory, nothing in memory.
        let restarted = try ObjectCache(directory: cacheDir, options: cache.options)
        t = Date()
        let reopened = try await open(restarted)
        let reopenMs = Date().timeIntervalSince(t) * 1000
        t = Date()
        let afterRestart = try await flameGraph(reopened)
        precondition(afterRestart == expected)
        let restartMs = Date().timeIntervalSince(t) * 1000
        precondition(restarted.stats.fetches == 0, "a restart refetched chunks the disk cache holds")

        print("24 h whole-tenant CPU flame graph (ms)".replacingOccurrences(of: "24 h", with: "\(hours) h"))
        print(String(format: "  local blocks (baseline)                 %8.1f", localMs))
        print(
            String(
                format: "  bucket, cold: open %7.1f + query %7.1f = %8.1f   (%.1fx local; %d GETs, %.1f MB fetched)",
                openMs, coldMs, openMs + coldMs, (openMs + coldMs) / localMs, afterCold.fetches,
                Double(afterCold.fetchedBytes) / 1e6))
        print(
            String(
                format: "    of which opening: %d GETs, %.1f MB; the query: %d GETs, %.1f MB", opened.fetches, Double(opened.fetchedBytes) / 1e6,
                afterCold.fetches - opened.fetches, Double(afterCold.fetchedBytes - opened.fetchedBytes) / 1e6))
        print(
            String(
                format: "  bucket, warm (best of 3)                %8.1f   (%.2fx local; memory tier %d MiB)", warmMs, warmMs / localMs,
                cacheMemoryBytes >> 20))
        print(String(format: "  bucket, restarted on a warm disk cache: open %7.1f + query %7.1f   (0 GETs)", reopenMs, restartMs))
    }
}
