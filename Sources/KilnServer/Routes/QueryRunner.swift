import KilnQuery
import KilnStorage
import Logging
import Metrics
import NIOCore

/// How every query API (Connect, legacy HTTP) runs a query over a tenant's
/// data: refused while the bucket's blocks are not listed, under the
/// server's budget (a client's shorter timeout wins), corrupt blocks skipped
/// and counted, and budget and object-store failures turned into the
/// `ConnectError`s the APIs answer with.
struct QueryRunner: Sendable {
    let ingester: Ingester
    let config: ServerConfig
    let logger: Logger

    /// Queries stopped because their client closed the connection.
    static let abandoned = Counter(label: "kiln_queries_abandoned_total")

    /// Runs `body` for `tenant`; when `channel` closes before it finishes,
    /// the query stops at its next budget check.
    func run<R: Sendable>(tenant: String, timeout: Duration?, channel: (any Channel)?, _ body: (Query) async throws -> R) async throws -> R {
        guard ingester.bucketListed else {
            throw ConnectError(.unavailable, "the blocks in the object store are not listed yet (is the bucket reachable?); try again later")
        }
        let logger = self.logger
        var query = Query(ingester.heads.existingHead(for: tenant)) { block, error in
            // A corrupt block is skipped, never fatal: the answer covers the rest.
            Ingester.blockCorruptions.increment()
            logger.warning("query skipped a corrupt block", metadata: ["block": "\(block.path)", "error": "\(error)"])
        }
        let cancellation = QueryCancellation()
        channel?.closeFuture.whenComplete { _ in cancellation.cancel() }
        let maxLength = config.limits.of(tenant).maxQueryLengthNanos
        query.budget = QueryBudget(timeout: timeout.map { min($0, config.queryTimeout) } ?? config.queryTimeout,
                                   maxSamples: config.queryMaxSamples, cancellation: cancellation,
                                   maxRangeNanos: maxLength > 0 ? maxLength : nil)
        do {
            return try await body(query)
        } catch let e as QueryError {
            switch e {
            case .deadlineExceeded: throw ConnectError(.deadlineExceeded, "\(e)")
            case .tooLarge, .rangeTooLong: throw ConnectError(.invalidArgument, "\(e)")
            }
        } catch is CancellationError {
            if cancellation.isCancelled {
                Self.abandoned.increment()
                logger.info("query stopped: its client closed the connection")
            }
            throw ConnectError(.canceled, "the query was cancelled")
        } catch let e as ObjectStoreError {
            // A block the bucket cannot serve now: fail rather than answer without it.
            logger.warning("query failed: a block cannot be read from the object store", metadata: ["error": "\(e)"])
            throw ConnectError(.unavailable, "a block in the object store cannot be read (\(e)); try again later")
        }
    }
}
