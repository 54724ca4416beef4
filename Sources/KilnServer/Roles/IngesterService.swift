import KilnStorage
import Logging
import ServiceLifecycle

/// The ingester's own upkeep, a `Service` of the process's group: uploads a
/// crash interrupted resume at start; every `interval` the heads that are
/// due are cut (`policy`), cut blocks are shipped to the bucket, and shipped
/// ones past `grace` are released to it.
///
/// It is the group's first service, so it stops last: after the HTTP server
/// has answered the requests in flight and the other roles have stopped, it
/// cuts every head with `flushOnShutdown`, syncs and closes the WAL, and
/// gives up the ingester's lease in the bucket (a no-op when another process
/// took it), so a successor on another data directory starts at once.
public struct IngesterService: Service {
    let ingester: Ingester
    let policy: Ingester.CutPolicy
    let grace: Duration
    let interval: Duration
    let flushOnShutdown: Bool
    let logger: Logger

    public init(ingester: Ingester, policy: Ingester.CutPolicy, grace: Duration, interval: Duration, flushOnShutdown: Bool, logger: Logger) {
        (self.ingester, self.policy, self.grace, self.interval) = (ingester, policy, grace, interval)
        (self.flushOnShutdown, self.logger) = (flushOnShutdown, logger)
    }

    public func run() async throws {
        await ingester.shipPending(logger: logger)
        try await everyInterval(interval) {
            ingester.recordGauges()
            do {
                for m in try await ingester.cutIfDue(policy) {
                    logger.info(
                        "head cut",
                        metadata: ["tenant": "\(m.tenant)", "block": "\(m.ulid)", "profiles": "\(m.stats.profiles)", "samples": "\(m.stats.samples)"])
                }
            } catch {
                logger.error("head cut failed; the head stays in memory and the WAL keeps its data", metadata: ["error": "\(error)"])
            }
            await ingester.shipPending(logger: logger)
            await ingester.releaseShipped(grace: grace, logger: logger)
        }
        await stop()
    }

    /// The end of the process's ingest side: every request answered, every other role stopped.
    private func stop() async {
        logger.info("shutting down: requests drained")
        if flushOnShutdown {
            do {
                let metas = try await ingester.flushHeads(logger: logger)
                logger.info("heads cut on shutdown", metadata: ["blocks": "\(metas.map(\.ulid))"])
            } catch {
                logger.error("cut on shutdown failed; the WAL keeps the data for the next start", metadata: ["error": "\(error)"])
            }
        }
        ingester.close()  // the last records synced
        do {
            if try await ingester.releaseLease() { logger.info("released the ingester's lease") }
        } catch {
            logger.error("cannot release the ingester's lease; a successor on another data directory waits it out", metadata: ["error": "\(error)"])
        }
        logger.info("stopped: the WAL is synced")
    }
}
