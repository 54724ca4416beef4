import Foundation
import Metrics

/// An ingester's hold on its id in the bucket: the object `key` naming the
/// data directory's token and when it was last renewed.
///
/// Blocks are adopted, compacted and deleted by their owner only; two live
/// processes with one id (a shared config file with `ingester.id` in it)
/// would each merge the same blocks and count their data twice. So the
/// ingester renews its lease before it lists the bucket and before each
/// compaction, and does neither while another data directory holds a lease
/// renewed within `timeout`. The same data directory (a restart, even after
/// `kill -9`) takes its lease back at once; another takes it over only once
/// it has gone unrenewed for `timeout` (a disk replaced).
///
/// Read, then write: two processes starting within one round trip of each
/// other can both write; the next renewal of the one overwritten sees the
/// other's token and stops, before it has compacted anything.
public struct IngesterLease: Sendable {
    public let store: any ObjectStore
    public let identity: IngesterIdentity
    /// How long a lease holds unrenewed. Renewals come every maintenance
    /// pass, so this must be several passes (see `timeout(checkInterval:)`).
    public let timeout: Duration

    /// The shortest lease: longer than a compaction of large blocks (the
    /// lease is renewed before one, not during it), so a process that takes
    /// an expired id over cannot start merging while the old one still is.
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
        /// When the holder last renewed it, Unix milliseconds of its clock.
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
        public let renewedSecondsAgo: Double
        public let timeout: Duration

        public var description: String {
            "\(IngesterIdentity.ownerName(id)) is running from another data directory (its lease \(key) was renewed "
                + "\(Int(renewedSecondsAgo.rounded())) s ago): give each ingester sharing a bucket its own --ingester.id "
                + "(an ingester that is gone for good is taken over \(timeout.components.seconds) s after its last renewal)"
        }
    }

    /// Takes or renews the lease as of `now`.
    /// - Throws: `Conflict` (writing nothing) while another token's lease is
    ///   younger than `timeout`; `ObjectStoreError` when the bucket fails.
    public func renew(now: Date = Date()) async throws {
        let nowMillis = Int64(now.timeIntervalSince1970 * 1000)
        let existing: [UInt8]?
        do { existing = try await store.get(key) } catch let e as ObjectStoreError where e.kind == .notFound { existing = nil }
        // Absent (free) or not a lease Kiln wrote whole: taken.
        if let held = existing.flatMap(Record.decode), held.token != identity.token {
            let ageMillis = nowMillis - held.renewedAtMillis
            let timeoutMillis = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            if ageMillis < timeoutMillis {
                Self.conflicts.increment()
                throw Conflict(id: identity.id, key: key, renewedSecondsAgo: Double(ageMillis) / 1000, timeout: timeout)
            }
        }
        try await store.put(key, try Record(id: identity.id, token: identity.token, renewedAtMillis: nowMillis).encoded())
    }
}
