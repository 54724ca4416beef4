import Foundation

/// `meta.json` of a block (docs/format/block.md, "meta.json"): what a block
/// holds, without opening its files. Written last, so a directory with a
/// `meta.json` is a complete block.
public struct BlockMeta: Codable, Sendable, Equatable {
    /// Format version of the block's files; this build writes and reads 1.
    public static let currentVersion = 1

    public struct Stats: Codable, Sendable, Equatable {
        public var series: Int
        public var profiles: Int
        public var samples: Int
        public var stacks: Int
        public var locations: Int
        public var functions: Int
        public var strings: Int

        public init(series: Int, profiles: Int, samples: Int, stacks: Int, locations: Int, functions: Int, strings: Int) {
            (self.series, self.profiles, self.samples, self.stacks) = (series, profiles, samples, stacks)
            (self.locations, self.functions, self.strings) = (locations, functions, strings)
        }
    }

    public struct File: Codable, Sendable, Equatable {
        public var name: String
        public var size: Int
        /// CRC32C of the whole file, for `kiln-inspect block verify` and shipping.
        public var crc32c: UInt32
    }

    public var ulid: String
    public var version: Int
    public var tenant: String
    /// Earliest and latest profile time in the block, nanoseconds since the epoch, inclusive.
    public var minTimeNanos: Int64
    public var maxTimeNanos: Int64
    /// 1 for a block cut from the head; n+1 for one compacted from level-n blocks.
    public var level: Int
    /// Page codec the block was written with: "lz4" (hot) or "zstd" (cold).
    public var codec: String
    public var stats: Stats
    public var files: [File]
    /// Blocks this one was compacted from (empty for a cut).
    public var sources: [String]
    /// The `--ingester.id` of the ingester that owns the block: the only one
    /// that adopts it from the bucket, compacts it and deletes it. Absent
    /// (nil) for the ingester without an id, which a bucket may have one of.
    public var ingester: String?

    public init(
        ulid: String, version: Int, tenant: String, minTimeNanos: Int64, maxTimeNanos: Int64, level: Int, codec: String,
        stats: Stats, files: [File], sources: [String], ingester: String? = nil
    ) {
        (self.ulid, self.version, self.tenant, self.minTimeNanos, self.maxTimeNanos) = (ulid, version, tenant, minTimeNanos, maxTimeNanos)
        (self.level, self.codec, self.stats, self.files, self.sources, self.ingester) = (level, codec, stats, files, sources, ingester)
    }

    public func encoded() throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return [UInt8](try e.encode(self)) + [0x0A]
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> BlockMeta {
        do {
            let meta = try JSONDecoder().decode(BlockMeta.self, from: Data(bytes))
            guard meta.version == currentVersion else {
                throw StorageError("read block", path: path, reason: "unsupported block version \(meta.version) (this build reads \(currentVersion))")
            }
            return meta
        } catch let e as StorageError {
            throw e
        } catch {
            throw StorageError("read block", path: path, reason: "malformed meta.json: \(error)")
        }
    }
}
