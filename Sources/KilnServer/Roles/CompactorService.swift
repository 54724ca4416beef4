import KilnStorage
import Logging
import ServiceLifecycle

/// The compactor, a `Service` of the ingester's process: every `interval`,
/// retention and then merges of the blocks whose window has closed
/// (`Ingester.compact`), on the ingester's own blocks only.
///
/// A compaction pass renews the ingester's lease first; when another process
/// holds it, this throws `IngesterLease.Conflict` and the group stops
/// gracefully (as on SIGTERM), the daemon then exiting 1. Other failures
/// leave the source blocks in place and are retried on the next pass.
public struct CompactorService: Service {
    let ingester: Ingester
    let policy: Ingester.CompactionPolicy
    let interval: Duration
    let logger: Logger

    public init(ingester: Ingester, policy: Ingester.CompactionPolicy, interval: Duration, logger: Logger) {
        (self.ingester, self.policy, self.interval, self.logger) = (ingester, policy, interval, logger)
    }

    public func run() async throws {
        try await everyInterval(interval) {
            do {
                try await ingester.compact(policy, logger: logger)
            } catch let conflict as IngesterLease.Conflict {
                logger.critical("stopping: \(conflict)")
                throw conflict
            } catch {
                logger.error("compaction failed; the source blocks stay in place", metadata: ["error": "\(error)"])
            }
        }
    }
}
