import KilnStorage
import Logging
import ServiceLifecycle

/// The blocks of the bucket a process serves, kept current, a `Service` of
/// its group. An ingester adopts its own blocks (`Ingester.syncBucket`,
/// renewing its lease first); a querier lists every block, opening new ones
/// and dropping those gone or superseded (`BucketReader.refreshBucket`).
/// Both every `interval`; a bucket that cannot be listed is retried on the next.
///
/// An ingester whose lease another process holds throws
/// `IngesterLease.Conflict`: the group stops gracefully, the daemon exits 1.
public struct BucketCatalog: Service {
    let store: ProcessStore
    let interval: Duration
    let logger: Logger

    public init(_ store: ProcessStore, interval: Duration, logger: Logger) {
        (self.store, self.interval, self.logger) = (store, interval, logger)
    }

    public func run() async throws {
        try await everyInterval(interval) {
            do {
                switch store {
                case .ingester(let ingester): try await ingester.syncBucket(logger: logger)
                case .bucket(let reader): try await reader.refreshBucket(logger: logger)
                }
            } catch let conflict as IngesterLease.Conflict {
                logger.critical("stopping: \(conflict)")
                throw conflict
            } catch {
                logger.error("cannot list the bucket's blocks; will retry", metadata: ["error": "\(error)"])
            }
            if case .bucket(let reader) = store { reader.recordGauges() }
        }
    }
}
