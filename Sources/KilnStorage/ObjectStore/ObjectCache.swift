import Foundation
import Glibc
import KilnFormat
import Metrics

/// A size-bounded local cache of byte ranges of immutable objects (block
/// files in a bucket), in aligned chunks of `chunkSize` bytes.
///
/// Two tiers: chunk files on local disk (`docs/format/cache.md`), at most
/// `capacityBytes` in all, which survive restarts; and the most recently
/// used chunks in memory, at most `memoryBytes`, already CRC-checked. Both
/// evict the least recently used chunk first.
///
/// A read takes the chunks its range covers; the missing ones are fetched in
/// runs of adjacent chunks (one ranged GET per run, at most `maxFetchBytes`
/// each, `fetchConcurrency` at a time). A chunk file that does not decode,
/// fails its CRC or names another object is a miss, and is replaced.
///
/// Objects must never change under a key: the cache has no invalidation.
/// Block files are written once, so this holds for them.
public final class ObjectCache: Sendable {
    public struct Options: Sendable {
        /// Bytes of chunk files on disk, at most.
        public var capacityBytes: Int
        /// Bytes of chunks held in memory, at most.
        public var memoryBytes: Int
        /// Chunk size: big enough that a query's ranged GETs are few and
        /// long (a page is tens of KiB), small enough that a selective query
        /// does not fetch much it does not read.
        public var chunkSize: Int
        /// Longest single ranged GET.
        public var maxFetchBytes: Int
        /// Ranged GETs in flight per read.
        public var fetchConcurrency: Int

        public init(
            capacityBytes: Int, memoryBytes: Int = 64 << 20, chunkSize: Int = 1 << 20,
            maxFetchBytes: Int = 16 << 20, fetchConcurrency: Int = 8
        ) {
            precondition(chunkSize > 0 && maxFetchBytes >= chunkSize && fetchConcurrency > 0, "invalid cache options")
            (self.capacityBytes, self.memoryBytes, self.chunkSize) = (capacityBytes, memoryBytes, chunkSize)
            (self.maxFetchBytes, self.fetchConcurrency) = (maxFetchBytes, fetchConcurrency)
        }
    }

    struct ChunkID: Hashable, Sendable {
        var key: String
        var index: Int
    }

    struct State {
        /// Chunk files on disk: size and last use.
        var disk: [ChunkID: (bytes: Int, used: UInt64)] = [:]
        var diskBytes = 0
        /// Checked payloads in memory.
        var memory: [ChunkID: (payload: [UInt8], used: UInt64)] = [:]
        var memoryBytes = 0
        var clock: UInt64 = 0
        var stats = Stats()
    }

    /// Counters since start, for tests and benchmarks.
    public struct Stats: Sendable, Equatable {
        public var memoryHits = 0
        public var diskHits = 0
        public var misses = 0
        public var fetches = 0
        public var fetchedBytes = 0
        public var evictions = 0
    }

    public let directory: String
    public let options: Options
    private let state = LockedState(State())

    static let hits = Counter(label: "kiln_cache_hits_total")
    static let misses = Counter(label: "kiln_cache_misses_total")
    static let fetchedBytes = Counter(label: "kiln_cache_fetched_bytes_total")
    static let evictions = Counter(label: "kiln_cache_evictions_total")

    /// Opens the cache in `directory` (creating it), indexing the chunk files
    /// left by earlier runs and deleting those that are not chunk files.
    public init(directory: String, options: Options) throws {
        self.directory = directory
        self.options = options
        try FileIO.makeDirectory(directory)
        var found: [(ChunkID, Int, Date)] = []
        for name in try FileIO.list(directory) {
            let path = directory + "/" + name
            guard !name.hasPrefix("."), let head = try? FileIO.read(path, limit: CacheChunk.maxHeaderBytes),
                let h = try? CacheChunk.decodeHeader(head), h.index < UInt64(Int.max),
                name == Self.fileName(h.key, Int(h.index)),
                let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            else {
                try? FileIO.remove(path)
                continue
            }
            found.append(
                (
                    ChunkID(key: h.key, index: Int(h.index)), h.size + h.payloadLength,
                    attributes[.modificationDate] as? Date ?? .distantPast
                ))
        }
        found.sort { $0.2 < $1.2 }
        state.withLock { s in
            for (id, bytes, _) in found {
                s.clock += 1
                s.disk[id] = (bytes, s.clock)
                s.diskBytes += bytes
            }
        }
        for path in evictDisk() { try? FileIO.remove(path) }
    }

    public var stats: Stats { state.withLock { $0.stats } }
    /// Bytes of chunk files on disk and of payloads in memory.
    public var usage: (disk: Int, memory: Int) { state.withLock { ($0.diskBytes, $0.memoryBytes) } }

    /// Bytes `range` of object `key` from `store` (fewer only at the object's end).
    public func read(_ store: any ObjectStore, _ key: String, _ range: Range<Int>) async throws -> [UInt8] {
        guard !range.isEmpty else { return [] }
        let first = range.lowerBound / options.chunkSize
        let last = (range.upperBound - 1) / options.chunkSize
        let chunks = try await load(store, key, Array(first...last))
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        for index in first...last {
            guard let payload = chunks[index] else { break }
            let base = index * options.chunkSize
            let lo = max(range.lowerBound, base) - base
            let hi = min(range.upperBound - base, payload.count)
            if lo < hi { out += payload[lo..<hi] }
            if payload.count < options.chunkSize { break }  // the object's end
        }
        return out
    }

    /// Fetches the chunks `ranges` of `key` cover that are not cached, without returning them.
    public func prefetch(_ store: any ObjectStore, _ key: String, _ ranges: [Range<Int>]) async throws {
        var indices = Set<Int>()
        for r in ranges where !r.isEmpty {
            for i in (r.lowerBound / options.chunkSize)...((r.upperBound - 1) / options.chunkSize) { indices.insert(i) }
        }
        let missing = state.withLock { s in
            indices.filter { s.memory[ChunkID(key: key, index: $0)] == nil && s.disk[ChunkID(key: key, index: $0)] == nil }
        }
        _ = try await fetch(store, key, missing.sorted())
    }

    // MARK: - Chunks

    /// The payloads of chunks `indices` of `key`: from memory, disk, or the store.
    private func load(_ store: any ObjectStore, _ key: String, _ indices: [Int]) async throws -> [Int: [UInt8]] {
        var out: [Int: [UInt8]] = [:]
        var missing: [Int] = []
        for i in indices {
            let id = ChunkID(key: key, index: i)
            let (inMemory, onDisk) = state.withLock { s -> ([UInt8]?, Bool) in
                s.clock += 1
                if let m = s.memory[id] {
                    s.memory[id] = (m.payload, s.clock)
                    s.stats.memoryHits += 1
                    return (m.payload, true)
                }
                return (nil, s.disk[id] != nil)
            }
            if let inMemory {
                out[i] = inMemory
                Self.hits.increment()
            } else if onDisk, let payload = readChunkFile(id) {
                out[i] = payload
                remember(id, payload, diskHit: true)
                Self.hits.increment()
            } else {
                missing.append(i)
            }
        }
        for (i, payload) in try await fetch(store, key, missing) { out[i] = payload }
        return out
    }

    /// Fetches chunks `indices` (ascending) of `key` in runs of adjacent ones, stores and returns them.
    private func fetch(_ store: any ObjectStore, _ key: String, _ indices: [Int]) async throws -> [Int: [UInt8]] {
        guard !indices.isEmpty else { return [:] }
        let perRun = options.maxFetchBytes / options.chunkSize
        var runs: [Range<Int>] = []
        for i in indices {
            if let last = runs.last, last.upperBound == i, last.count < perRun {
                runs[runs.count - 1] = last.lowerBound..<(i + 1)
            } else {
                runs.append(i..<(i + 1))
            }
        }
        state.withLock { s in s.stats.misses += indices.count }
        Self.misses.increment(by: Int64(indices.count))
        let chunkSize = options.chunkSize
        var out: [Int: [UInt8]] = [:]
        try await withThrowingTaskGroup(of: (Range<Int>, [UInt8]).self) { group in
            var next = 0
            func start() {
                let run = runs[next]
                next += 1
                group.addTask { (run, try await store.get(key, range: (run.lowerBound * chunkSize)..<(run.upperBound * chunkSize))) }
            }
            while next < min(runs.count, options.fetchConcurrency) { start() }
            while let (run, bytes) = try await group.next() {
                if next < runs.count { start() }
                state.withLock { s in
                    s.stats.fetches += 1
                    s.stats.fetchedBytes += bytes.count
                }
                Self.fetchedBytes.increment(by: Int64(bytes.count))
                for i in run {
                    let lo = (i - run.lowerBound) * chunkSize
                    guard lo < bytes.count else { break }
                    let payload = Array(bytes[lo..<min(lo + chunkSize, bytes.count)])
                    out[i] = payload
                    keep(ChunkID(key: key, index: i), payload)
                }
            }
        }
        return out
    }

    /// Writes a fetched chunk to disk (temporary file, then rename: a reader
    /// sees a whole chunk file or none) and keeps it in memory.
    private func keep(_ id: ChunkID, _ payload: [UInt8]) {
        remember(id, payload, diskHit: false)
        let path = directory + "/" + Self.fileName(id.key, id.index)
        let temporary = directory + "/." + Self.fileName(id.key, id.index) + "-" + UUID().uuidString
        let bytes = CacheChunk.encode(key: id.key, index: UInt64(id.index), payload: payload)
        do {
            try FileIO.write(temporary, bytes)
            try FileIO.rename(temporary, path)
        } catch {
            // A cache that cannot write (disk full) still answers: the chunk stays in memory only.
            try? FileIO.remove(temporary)
            return
        }
        state.withLock { s in
            s.clock += 1
            if let old = s.disk[id] { s.diskBytes -= old.bytes }
            s.disk[id] = (bytes.count, s.clock)
            s.diskBytes += bytes.count
        }
        for path in evictDisk() { try? FileIO.remove(path) }
    }

    /// The checked payload of a chunk file, or nil (the file is then forgotten and deleted).
    private func readChunkFile(_ id: ChunkID) -> [UInt8]? {
        let path = directory + "/" + Self.fileName(id.key, id.index)
        if let bytes = try? FileIO.read(path), let (h, payload) = try? CacheChunk.decode(bytes), h.key == id.key, h.index == UInt64(id.index) {
            return payload
        }
        state.withLock { s in
            if let old = s.disk.removeValue(forKey: id) { s.diskBytes -= old.bytes }
        }
        try? FileIO.remove(path)
        return nil
    }

    /// Keeps `payload` in memory, evicting the least recently used payloads beyond `memoryBytes`.
    private func remember(_ id: ChunkID, _ payload: [UInt8], diskHit: Bool) {
        state.withLock { s in
            s.clock += 1
            if diskHit {
                s.stats.diskHits += 1
                if let d = s.disk[id] { s.disk[id] = (d.bytes, s.clock) }
            }
            if let old = s.memory[id] { s.memoryBytes -= old.payload.count }
            s.memory[id] = (payload, s.clock)
            s.memoryBytes += payload.count
            while s.memoryBytes > options.memoryBytes, let victim = s.memory.min(by: { $0.value.used < $1.value.used }) {
                s.memory[victim.key] = nil
                s.memoryBytes -= victim.value.payload.count
            }
        }
    }

    /// Forgets the least recently used chunk files until the disk tier fits;
    /// returns their paths for the caller to delete outside the lock.
    private func evictDisk() -> [String] {
        state.withLock { s in
            guard s.diskBytes > options.capacityBytes else { return [] }
            // Evict in one sorted pass, down to 90% so a full cache does not sort on every store.
            let target = options.capacityBytes / 10 * 9
            var paths: [String] = []
            for (id, entry) in s.disk.sorted(by: { $0.value.used < $1.value.used }) {
                guard s.diskBytes > target else { break }
                s.disk[id] = nil
                s.diskBytes -= entry.bytes
                s.stats.evictions += 1
                paths.append(directory + "/" + Self.fileName(id.key, id.index))
            }
            Self.evictions.increment(by: Int64(paths.count))
            return paths
        }
    }

    /// `<FNV-1a 64 of the key, hex>-<chunk index>`: flat, short, and fixed
    /// per chunk; the header inside tells colliding keys apart.
    static func fileName(_ key: String, _ index: Int) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16) + "-" + String(index)
    }
}
