import Foundation
import Logging
import Metrics

/// An ingester's hold on its id in the bucket: the object `key` naming the
/// data directory's token and when it was last renewed.
///
/// Blocks are adopted, compacted and deleted by their owner only; two live
/// processes with one id (a shared config file with `ingester.id` in it)
/// would each merge the same blocks and count their data twice. So an
/// ingester `acquire`s its lease at start, and `renew`s it before it lists
/// the bucket, at each compaction pass and again before publishing a merged
/// block; a renewal that finds another data directory's token throws, and
/// the daemon stops.
///
/// No clocks are compared across machines. At start, a lease naming this
/// data directory (a restart, even after `kill -9`) or none is taken at once;
/// one naming another is watched: if it is rewritten, its holder is alive
/// and the start fails; if it stays unchanged for `timeout` (measured on
/// this process's monotonic clock), its holder is gone and it is taken over.
///
/// A drained shutdown `release`s the lease, so a successor on another data
/// directory (a pod rescheduled without its disk) starts at once; only a
/// crash leaves the lease to time out.
///
/// Read, then write: two processes starting within one round trip can both
/// write. Each renews at its first compaction pass, before any merge or
/// deletion, when the one overwritten finds the other's token and stops.
public struct IngesterLease: Sendable {
    public let store: any ObjectStore
    public let identity: IngesterIdentity
    /// How long a lease must stay unchanged before another data directory
    /// takes it over. Renewals come every maintenance pass, so this must be
    /// several passes (see `timeout(checkInterval:)`).
    public let timeout: Duration

    /// The shortest takeover wait: several passes of a holder whose own
    /// check interval is longer than ours, and a long merge between renewals.
    public static let minimumTimeout: Duration = .seconds(300)

    /// The lease for maintenance passes `checkInterval` apart: four missed
    /// renewals, and never under `minimumTimeout`.
    public static func timeout(checkInterval: Duration) -> Duration { max(minimumTimeout, checkInterval * 4) }

    static let conflicts = Counter(label: "kiln_ingester_lease_conflicts_total")

    public init(store: any ObjectStore, identity: IngesterIdentity, timeout: Duration) {
        (self.store, self.identity, self.timeout) = (store, identity, timeout)
    }

    /// The lease's key: `_ingesters/id/<id>.json`, or `_ingesters/none.json`
    /// for the ingester without an id (one segment fewer: no id's key).
    /// Ids are letters, digits, `.`, `_` and `-`: nothing to escape in a URL.
    public var key: String { identity.id.map { "_ingesters/id/\($0).json" } ?? "_ingesters/none.json" }

    /// The lease object's content (docs/format/ownership.md).
    public struct Record: Codable, Sendable, Equatable {
        public var id: String?
        public var token: String
        /// When the holder last renewed it, Unix milliseconds of its clock:
        /// for people; takeover compares records, not clocks.
        public var renewedAtMillis: Int64

        public init(id: String?, token: String, renewedAtMillis: Int64) {
            (self.id, self.token, self.renewedAtMillis) = (id, token, renewedAtMillis)
        }

        public func encoded() throws -> [UInt8] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return [UInt8](try encoder.encode(self))
        }

        /// nil for bytes that are not a lease Kiln wrote whole.
        public static func decode(_ bytes: [UInt8]) -> Record? {
            try? JSONDecoder().decode(Record.self, from: Data(bytes))
        }
    }

    /// Another data directory holds the lease.
    public struct Conflict: Error, CustomStringConvertible {
        public let id: String?
        public let key: String
        /// What showed the holder alive.
        public let evidence: String

        public var description: String {
            "\(IngesterIdentity.ownerName(id)) is running from another data directory (its lease \(key) \(evidence)): "
                + "give each ingester sharing a bucket its own --ingester.id"
        }
    }

    /// Takes the lease at start: at once when it is free or this data
    /// directory's; after `timeout` when another's stays unchanged that long
    /// (polled every `timeout / 20`, at most 5 s).
    /// - Throws: `Conflict` as soon as another's lease is rewritten (writing
    ///   nothing); `ObjectStoreError` when the bucket fails.
    public func acquire(logger: Logger? = nil) async throws {
        let poll = min(timeout / 20, .seconds(5))
        var watched: (record: Record, since: ContinuousClock.Instant)?
        while true {
            guard let held = try await read(), held.token != identity.token else { return try await write() }
            if let w = watched {
                guard w.record == held else {
                    Self.conflicts.increment()
                    throw Conflict(id: identity.id, key: key, evidence: "was renewed while this process waited to take it over")
                }
                if ContinuousClock.now - w.since >= timeout {
                    logger?.warning(
                        "took over an ingester lease its holder stopped renewing", metadata: ["lease": "\(key)", "timeout": "\(timeout)"])
                    return try await write()
                }
            } else {
                watched = (held, .now)
                logger?.warning(
                    "another data directory holds this ingester's lease; waiting to see whether it is alive",
                    metadata: [
                        "lease": "\(key)", "takeover_after": "\(timeout)",
                    ])
            }
            try await Task.sleep(for: poll)
        }
    }

    /// Renews the lease held since `acquire`.
    /// - Throws: `Conflict` (writing nothing) when it names another data
    ///   directory: another process took this id; `ObjectStoreError` when
    ///   the bucket fails.
    public func renew() async throws {
        if let held = try await read(), held.token != identity.token {
            Self.conflicts.increment()
            throw Conflict(id: identity.id, key: key, evidence: "now names another data directory")
        }
        try await write()
    }

    /// Gives the lease up at a drained shutdown: deletes it while it still
    /// names this data directory, and leaves one another process took alone.
    /// Nothing may touch the bucket's blocks for this id afterwards.
    /// - Returns: whether the lease was this data directory's and is now free.
    /// - Throws: `ObjectStoreError` when the bucket fails (the lease then
    ///   times out as after a crash).
    @discardableResult
    public func release() async throws -> Bool {
        guard let held = try await read(), held.token == identity.token else { return false }
        try await store.delete(key)
        return true
    }

    /// The lease as stored; nil when absent or not a lease Kiln wrote whole (free).
    private func read() async throws -> Record? {
        do { return Record.decode(try await store.get(key)) } catch let e as ObjectStoreError where e.kind == .notFound { return nil }
    }

    private func write() async throws {
        let record = Record(id: identity.id, token: identity.token, renewedAtMillis: Date().unixMilliseconds)
        try await store.put(key, try record.encoded())
    }
}
