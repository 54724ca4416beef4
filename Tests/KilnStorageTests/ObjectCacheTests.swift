import Foundation
import KilnTestSupport
import Testing

@testable import KilnStorage

/// The local object cache: exact bytes for any range, runs of chunks in one
/// GET, a disk tier bounded by its capacity that survives restarts, and
/// damaged chunk files treated as misses.
@Suite struct ObjectCacheTests {
    static func setUp(capacity: Int = 1 << 20, memory: Int = 1 << 20) async throws -> (FlakyObjectStore, ObjectCache, [UInt8], String) {
        let dir = NSTemporaryDirectory() + "kiln-cache-test-\(UUID().uuidString)"
        let store = FlakyObjectStore(MemoryObjectStore())
        var rng = SystemRandomNumberGenerator()
        let object = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try await store.put("t/blocks/01A/profiles.kcol", object)
        let cache = try ObjectCache(
            directory: dir, options: .init(capacityBytes: capacity, memoryBytes: memory, chunkSize: 1000, maxFetchBytes: 8000))
        return (store, cache, object, dir)
    }

    static let key = "t/blocks/01A/profiles.kcol"

    @Test func anyRangeReadsTheObjectsBytes() async throws {
        let (store, cache, object, dir) = try await Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let lo = Int.random(in: 0..<object.count, using: &rng)
            let hi = min(object.count + 500, lo + Int.random(in: 1...5000, using: &rng))
            #expect(try await cache.read(store, Self.key, lo..<hi) == Array(object[lo..<min(hi, object.count)]), "\(lo)..<\(hi)")
        }
        #expect(try await cache.read(store, Self.key, 0..<object.count) == object)
        #expect(try await cache.read(store, Self.key, 5..<5).isEmpty)
    }

    @Test func adjacentMissingChunksAreFetchedTogether() async throws {
        let (store, cache, object, dir) = try await Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // 20 chunks, at most 8 per GET: 3 GETs, issued concurrently.
        #expect(try await cache.read(store, Self.key, 0..<20_000) == Array(object[0..<20_000]))
        #expect(store.counts.rangedGets == 3 && store.counts.bytesRead == 20_000)
        // Prefetch of scattered ranges: only the chunks not cached yet.
        try await cache.prefetch(store, Self.key, [19_500..<21_500, 50_000..<50_001, 50_900..<51_100])
        #expect(store.counts.rangedGets == 5 && store.counts.bytesRead == 20_000 + 2000 + 2000)
        #expect(try await cache.read(store, Self.key, 20_000..<22_000) == Array(object[20_000..<22_000]))
        #expect(store.counts.rangedGets == 5, "prefetched")
    }

    @Test func theDiskTierStaysWithinItsCapacityAndSurvivesARestart() async throws {
        // 100 chunk files of ~1.1 KB each would not fit in 20 KB.
        let (store, cache, object, dir) = try await Self.setUp(capacity: 20_000, memory: 4000)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for start in stride(from: 0, to: object.count, by: 1000) {
            _ = try await cache.read(store, Self.key, start..<(start + 1000))
            #expect(cache.usage.disk <= 20_000 && cache.usage.memory <= 4000)
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        let onDisk = try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: dir + "/" + $1)[.size] as? Int) ?? 0) }
        #expect(onDisk == cache.usage.disk && onDisk <= 20_000 && cache.stats.evictions > 0)

        // The most recent chunks are on disk; a new cache over the directory serves them without a GET.
        let reopened = try ObjectCache(directory: dir, options: cache.options)
        #expect(reopened.usage.disk == cache.usage.disk)
        let gets = store.counts.rangedGets
        #expect(try await reopened.read(store, Self.key, 99_000..<100_000) == Array(object[99_000...]))
        #expect(store.counts.rangedGets == gets && reopened.stats.diskHits == 1)
    }

    @Test func aDamagedChunkFileIsAMiss() async throws {
        let (store, cache, object, dir) = try await Self.setUp(memory: 0)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await cache.read(store, Self.key, 0..<3000)
        let name = ObjectCache.fileName(Self.key, 1)
        var bytes = try FileIO.read(dir + "/" + name)
        bytes[bytes.count - 1] ^= 0xFF
        try FileIO.write(dir + "/" + name, bytes)
        try FileIO.write(dir + "/garbage", [1, 2, 3])
        let gets = store.counts.rangedGets
        #expect(try await cache.read(store, Self.key, 0..<3000) == Array(object[0..<3000]))
        #expect(store.counts.rangedGets == gets + 1 && cache.stats.diskHits == 2, "chunk 1 fetched again")
        // At start, files that are not chunk files are deleted.
        _ = try ObjectCache(directory: dir, options: cache.options)
        #expect(!FileManager.default.fileExists(atPath: dir + "/garbage"))
    }

    @Test func aFailingStoreFailsTheRead() async throws {
        let (store, cache, _, dir) = try await Self.setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        store.failing = true
        await #expect(throws: ObjectStoreError.self) { try await cache.read(store, Self.key, 0..<10) }
        store.failing = false
        #expect(try await cache.read(store, Self.key, 0..<10).count == 10)
    }
}
