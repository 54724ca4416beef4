import Foundation
import Glibc
import KilnFormat
import KilnModel
import Metrics

/// The WAL writer: appends framed records to segment files from one writer
/// thread, with group commit.
///
/// `enqueue` (called inside a head's lock, so records are queued in the
/// order the head applied them) only copies bytes into the queue and returns
/// a log sequence number (LSN). The writer thread takes everything queued,
/// writes it with one `write` per segment, syncs once, and wakes every push
/// waiting in `waitDurable` for an LSN it covered: concurrent pushes share one
/// `fdatasync`. In `.group` mode the thread first waits up to `maxBatchDelay`
/// for more records, trading that much latency for fewer syncs.
///
/// A write or sync error puts the log in a failed state: every waiting and
/// later push fails (the head may hold data the log lacks, so nothing more may
/// be acknowledged); a restart replays what is durable.
public final class WriteAheadLog: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `cond` except the segment
    // file state (`fd`, `segment`, `segmentBytes`), which only the writer
    // thread touches after `init`.

    public enum SyncMode: Sendable, Equatable {
        /// Acknowledge after `fdatasync`; wait up to `maxBatchDelay` to batch syncs.
        case group(maxBatchDelay: Duration)
        /// Acknowledge after `write`; `fdatasync` every `interval`. A crash can lose
        /// up to one interval of acknowledged pushes.
        case interval(Duration)
    }

    public struct Options: Sendable {
        /// Default maximum segment size: 128 MiB (Prometheus' default), so a
        /// segment is read whole on replay with bounded memory.
        public var segmentSize = 128 << 20
        /// Default: group commit waiting at most 1 ms for company — under load
        /// pushes arrive faster than that, alone a push pays 1 ms more.
        public var sync = SyncMode.group(maxBatchDelay: .milliseconds(1))

        public init() {}
    }

    public struct Stats: Sendable {
        public var records: UInt64 = 0
        public var bytes: UInt64 = 0
        public var syncs: UInt64 = 0
    }

    public let directory: String
    public let options: Options
    private let lock: DirectoryLock

    private let recordsWritten = Counter(label: "kiln_wal_records_total")
    private let bytesWritten = Counter(label: "kiln_wal_bytes_total")
    private let syncs = Counter(label: "kiln_wal_fsyncs_total")
    private let failures = Counter(label: "kiln_wal_failures_total")
    private let syncDuration = Timer(label: "kiln_wal_fsync_duration_seconds")

    private let cond = NSCondition()
    private var queue: [(lsn: UInt64, bytes: [UInt8], checkpoint: Bool)] = []
    private var nextLSN: UInt64 = 1
    private var durableLSN: UInt64 = 0
    private var waiters: [(lsn: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var failure: StorageError?
    private var stopping = false
    private var stopped = false
    /// The writer is waiting for a first record (not collecting a batch): only
    /// then does `enqueue` wake it. Waking it during the batching delay for
    /// every record would end the delay early and shrink batches to a few
    /// records, paying an fsync (~85 µs of kernel CPU here) for each few pushes.
    private var writerIdle = false
    private var stats = Stats()

    // Writer thread only.
    private var fd: Int32 = -1
    private var segment: Int
    private var segmentBytes = 0
    private var unsynced = false

    /// Starts a writer whose first segment is `firstSegment` (created on the
    /// first write). The directory must already be locked by `lock` and replayed.
    public init(directory: String, firstSegment: Int, lock: DirectoryLock, options: Options = Options()) {
        self.directory = directory
        self.options = options
        self.lock = lock
        self.segment = firstSegment - 1
        let thread = Thread { [self] in self.run() }
        thread.name = "kiln-wal-writer"
        thread.start()
    }

    /// Queues a record and returns its LSN. Never blocks on I/O.
    /// - Throws: `StorageError` when the log has failed or is closed.
    public func enqueue(_ record: WALRecord) throws -> UInt64 {
        let bytes = record.framed()
        cond.lock()
        defer { cond.unlock() }
        if let failure { throw failure }
        guard !stopping else { throw StorageError("append", path: directory, reason: "the WAL is closed") }
        let lsn = nextLSN
        nextLSN += 1
        queue.append((lsn, bytes, record.type == .checkpoint))
        if writerIdle { cond.signal() }
        return lsn
    }

    /// Returns once the record with `lsn` is durable (in `.interval` mode: written).
    public func waitDurable(_ lsn: UInt64) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            cond.lock()
            defer { cond.unlock() }
            if let failure {
                c.resume(throwing: failure)
            } else if durableLSN >= lsn {
                c.resume()
            } else {
                waiters.append((lsn, c))
            }
        }
    }

    public var currentStats: Stats {
        cond.lock()
        defer { cond.unlock() }
        return stats
    }

    /// Writes and syncs what is queued, stops the writer thread and releases
    /// the directory lock. Idempotent.
    public func close() {
        cond.lock()
        stopping = true
        cond.signal()
        while !stopped { cond.wait() }
        cond.unlock()
        lock.release()
    }

    // MARK: - Writer thread

    private func run() {
        var nextIntervalSync = Date()
        cond.lock()
        while true {
            writerIdle = true
            while queue.isEmpty && !stopping {
                if case .interval = options.sync, unsynced {
                    if !cond.wait(until: nextIntervalSync) { break }
                } else {
                    cond.wait()
                }
            }
            writerIdle = false
            if case .group(let delay) = options.sync, !queue.isEmpty, !stopping, delay > .zero {
                // Collect for the whole delay; only `close` cuts it short.
                let deadline = Date().addingTimeInterval(delay.seconds)
                while !stopping && cond.wait(until: deadline) {}
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            let exit = stopping && batch.isEmpty
            cond.unlock()

            var writeError: StorageError?
            var sync = true
            if case .interval(let interval) = options.sync {
                sync = exit || Date() >= nextIntervalSync
                if sync { nextIntervalSync = Date().addingTimeInterval(interval.seconds) }
            }
            do {
                try write(batch, sync: sync)
            } catch let e as StorageError {
                writeError = e
            } catch {
                writeError = StorageError("write", path: directory, reason: "\(error)")
            }

            if writeError != nil {
                failures.increment()
            } else if !batch.isEmpty {
                recordsWritten.increment(by: batch.count)
                bytesWritten.increment(by: batch.reduce(0) { $0 + $1.bytes.count })
            }
            cond.lock()
            if let writeError, failure == nil { failure = writeError }
            if let failure {
                for w in waiters { w.continuation.resume(throwing: failure) }
                waiters.removeAll()
                queue.removeAll()
            } else if let last = batch.last {
                durableLSN = last.lsn
                stats.records += UInt64(batch.count)
                stats.bytes += UInt64(batch.reduce(0) { $0 + $1.bytes.count })
                if sync { stats.syncs += 1 }
                waiters.removeAll { w in
                    guard w.lsn <= durableLSN else { return false }
                    w.continuation.resume()
                    return true
                }
            }
            if exit || (failure != nil && stopping) { break }
        }
        if fd >= 0 {
            _ = fdatasync(fd)
            Glibc.close(fd)
            fd = -1
        }
        stopped = true
        cond.broadcast()
        cond.unlock()
    }

    /// Writes a batch: one `write` per segment touched, rotating before a record
    /// that would overflow the segment and before every checkpoint.
    private func write(_ batch: [(lsn: UInt64, bytes: [UInt8], checkpoint: Bool)], sync: Bool) throws {
        var buffer: [UInt8] = []
        var hasCheckpoint = false
        for entry in batch {
            let full = segmentBytes > WALFrame.segmentHeaderSize && segmentBytes + entry.bytes.count > options.segmentSize
            if fd < 0 || full || (entry.checkpoint && segmentBytes > WALFrame.segmentHeaderSize) {
                try flush(&buffer)
                try rotate()
            }
            if entry.checkpoint { hasCheckpoint = true }
            buffer.append(contentsOf: entry.bytes)
            segmentBytes += entry.bytes.count
        }
        try flush(&buffer)
        if sync && unsynced {
            let start = DispatchTime.now().uptimeNanoseconds
            try FileIO.sync(fd, path: WALSegments.path(directory, segment))
            syncDuration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
            syncs.increment()
            unsynced = false
        }
        if hasCheckpoint {
            // A checkpoint is always synced, in interval mode too: the cut
            // writes blocks only once it is durable. The segments before it
            // are deleted by the cut once those blocks are durable.
            if !sync { try FileIO.sync(fd, path: WALSegments.path(directory, segment)) }
            try FileIO.syncDirectory(directory)
        }
    }

    private func flush(_ buffer: inout [UInt8]) throws {
        guard !buffer.isEmpty else { return }
        try FileIO.writeAll(fd, buffer, path: WALSegments.path(directory, segment))
        unsynced = true
        buffer.removeAll(keepingCapacity: true)
    }

    /// Syncs and closes the current segment, then creates the next one durably.
    private func rotate() throws {
        if fd >= 0 {
            try FileIO.sync(fd, path: WALSegments.path(directory, segment))
            Glibc.close(fd)
            fd = -1
        }
        segment += 1
        let path = WALSegments.path(directory, segment)
        fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL)
        try FileIO.writeAll(fd, WALFrame.segmentHeader, path: path)
        try FileIO.sync(fd, path: path)
        try FileIO.syncDirectory(directory)
        segmentBytes = WALFrame.segmentHeaderSize
        unsynced = false
    }
}
