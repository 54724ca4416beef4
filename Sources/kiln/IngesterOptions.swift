import ArgumentParser
import KilnStorage

/// The ingester's flags: its id among those sharing a bucket, the WAL, when
/// heads are cut into blocks, compaction and retention, and what a shutdown does.
struct IngesterOptions: ParsableArguments {
    @Option(
        name: .customLong("ingester.id"),
        help:
            "This ingester's name among those sharing a bucket (letters, digits, . _ -), written into its blocks as their owner: it adopts, compacts and expires only its own. Keep it with the data directory. One ingester per bucket may run without one (the default)."
    )
    var ingesterID: String?

    @Flag(
        name: .customLong("ingester.flush-on-shutdown"),
        help:
            "On SIGTERM, after the last request: cut every head into a block (shipped to the bucket with --storage.backend=s3) before exiting, so the next start replays nothing. Off: the WAL is synced and replayed at the next start."
    )
    var flushOnShutdown = false

    @Option(
        name: .customLong("head.max-block-duration"),
        help: "Cut a tenant's head into a block once its oldest profile arrived this many seconds ago (Pyroscope's default: 1 h).")
    var maxBlockDurationSeconds = 3600.0

    @Option(name: .customLong("head.max-bytes"), help: "Cut once a tenant's head is estimated to hold this many bytes.")
    var headMaxBytes = 256 << 20

    @Option(name: .customLong("head.check-interval"), help: "Seconds between checks of the cut, compaction and retention rules.")
    var headCheckIntervalSeconds = 15.0

    @Option(name: .customLong("compactor.ranges"), help: "Compaction windows, ascending, comma-separated durations (s, m, h, d).")
    var compactorRanges = "2h,12h,48h"

    @Option(name: .customLong("retention"), help: "Delete blocks whose newest profile is older than this duration (s, m, h, d); 0 keeps everything.")
    var retention = "0"

    @Option(name: .customLong("wal.segment-size"), help: "Maximum WAL segment size in bytes.")
    var walSegmentSize = WriteAheadLog.Options().segmentSize

    @Option(
        name: .customLong("wal.sync"),
        help:
            "group: acknowledge a push after fsync, batching concurrent pushes into one fsync (default). interval: acknowledge after write and fsync every --wal.sync-interval (a crash can lose up to one interval of acknowledged pushes)."
    )
    var walSync = "group"

    @Option(name: .customLong("wal.max-batch-delay"), help: "group mode: longest wait, in milliseconds, for more pushes to share an fsync.")
    var walMaxBatchDelayMs = 1.0

    @Option(name: .customLong("wal.sync-interval"), help: "interval mode: milliseconds between fsyncs.")
    var walSyncIntervalMs = 1000.0

    func validate() throws {
        if let ingesterID {
            guard Self.isValidIngesterID(ingesterID) else {
                throw ValidationError("--ingester.id: \"\(ingesterID)\" must be 1 to \(Self.maxIngesterIDLength) letters, digits, '.', '_' or '-'")
            }
        }
        guard ["group", "interval"].contains(walSync) else { throw ValidationError("--wal.sync: want group or interval, got \"\(walSync)\"") }
        guard walSegmentSize >= 1 << 20 else { throw ValidationError("--wal.segment-size: at least 1 MiB") }
        guard (0...1000).contains(walMaxBatchDelayMs) else { throw ValidationError("--wal.max-batch-delay: 0 to 1000 ms") }
        guard walSyncIntervalMs > 0 else { throw ValidationError("--wal.sync-interval: must be positive") }
        guard maxBlockDurationSeconds > 0, headCheckIntervalSeconds > 0 else {
            throw ValidationError("--head.max-block-duration and --head.check-interval must be positive")
        }
        guard headMaxBytes > 0 else { throw ValidationError("--head.max-bytes must be positive") }
        _ = try compactionPolicy()
    }

    /// Longest `--ingester.id`: a host or pod name fits (DNS labels are at most 63).
    static let maxIngesterIDLength = 63

    /// An id is a name in logs, `meta.json` and messages: nothing to escape.
    static func isValidIngesterID(_ id: String) -> Bool {
        (1...maxIngesterIDLength).contains(id.utf8.count)
            && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    func ranges() throws -> [Int64] {
        let r = try compactorRanges.split(separator: ",").map { try FlagValue.duration(String($0), flag: "--compactor.ranges") }
        guard !r.isEmpty, r.allSatisfy({ $0 > 0 }), r == r.sorted() else {
            throw ValidationError("--compactor.ranges: positive durations, ascending")
        }
        return r
    }

    func retentionNanos() throws -> Int64 { try FlagValue.duration(retention, flag: "--retention") }

    /// The seconds between maintenance passes (cut, compaction, upload, bucket listing).
    var checkInterval: Duration { .seconds(headCheckIntervalSeconds) }

    var walOptions: WriteAheadLog.Options {
        var options = WriteAheadLog.Options()
        options.segmentSize = walSegmentSize
        options.sync =
            walSync == "interval"
            ? .interval(.milliseconds(walSyncIntervalMs))
            : .group(maxBatchDelay: .microseconds(Int64(walMaxBatchDelayMs * 1000)))
        return options
    }

    var cutPolicy: Ingester.CutPolicy { Ingester.CutPolicy(maxAge: .seconds(maxBlockDurationSeconds), maxBytes: headMaxBytes) }

    func compactionPolicy() throws -> Ingester.CompactionPolicy {
        let retention = try retentionNanos()
        return Ingester.CompactionPolicy(planner: CompactionPlanner(ranges: try ranges()), retention: retention > 0 ? .nanoseconds(retention) : nil)
    }
}
