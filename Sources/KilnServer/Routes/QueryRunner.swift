import KilnQuery
import KilnStorage
import Logging
import Metrics
import NIOCore

/// How every query API (Connect, legacy HTTP) runs a query over a tenant's
/// data: refused while the bucket's blocks are not listed, under the
/// server's budget (a client's shorter timeout wins), corrupt blocks skipped
/// and counted, budget and object-store failures turned into the
/// `ConnectError`s the APIs answer with. On a querier (`ingesters` not
/// empty), the ingesters' heads join the query (`IngesterClient`), and a
/// listing found stale re-lists the bucket and runs the query once more
/// (`Query.relistingOnce`).
struct QueryRunner: Sendable {
    let catalog: any QueryCatalog
    let config: ServerConfig
    let logger: Logger

    /// Queries stopped because their client closed the connection.
    static let abandoned = Counter(label: "kiln_queries_abandoned_total")

    /// Runs `body` for `tenant`; when `channel` closes before it finishes,
    /// the query stops at its next budget check.
    func run<R: Sendable>(tenant: String, timeout: Duration?, channel: (any Channel)?, _ body: (Query) async throws -> R) async throws -> R {
        guard catalog.bucketListed else {
            throw ConnectError(.unavailable, "the blocks in the object store are not listed yet (is the bucket reachable?); try again later")
        }
        let logger = self.logger
        let cancellation = QueryCancellation()
        channel?.closeFuture.whenComplete { _ in cancellation.cancel() }
        let maxLength = config.limits.of(tenant).maxQueryLengthNanos
        let budget = QueryBudget(
            timeout: config.queryTimeout(client: timeout),
            maxSamples: config.queryMaxSamples, cancellation: cancellation,
            maxRangeNanos: maxLength > 0 ? maxLength : nil)
        func query() -> Query {
            var query = Self.query(tenant, of: catalog, logger: logger)
            query.budget = budget
            if !config.ingesters.isEmpty {
                query.remote = IngesterClient(addresses: config.ingesters, tenant: tenant)
            }
            return query
        }
        return try await Self.translatingErrors(logger: logger, cancellation: cancellation) {
            guard !config.ingesters.isEmpty else { return try await body(query()) }
            return try await Query.relistingOnce(catalog, logger: logger, make: query, body)
        }
    }

    /// A query over `tenant`'s data in `catalog`; a corrupt block is skipped,
    /// never fatal (the answer covers the rest), counted and logged.
    static func query(_ tenant: String, of catalog: any QueryCatalog, logger: Logger) -> Query {
        Query(catalog.head(for: tenant)) { error in
            Ingester.blockCorruptions.increment()
            logger.warning("query skipped a corrupt block", metadata: ["error": "\(error)"])
        }
    }

    /// Runs `body`, turning budget, cancellation, object-store and ingester
    /// failures into the `ConnectError`s the APIs answer with.
    static func translatingErrors<R>(logger: Logger, cancellation: QueryCancellation? = nil, _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let e as QueryError {
            switch e {
            case .deadlineExceeded: throw ConnectError(.deadlineExceeded, "\(e)")
            case .tooLarge, .rangeTooLong: throw ConnectError(.invalidArgument, "\(e)")
            case .behindIngesters:
                logger.warning("query failed: the bucket's listing is behind the ingesters", metadata: ["error": "\(e)"])
                throw ConnectError(.unavailable, "\(e)")
            }
        } catch is CancellationError {
            if cancellation?.isCancelled == true {
                abandoned.increment()
                logger.info("query stopped: its client closed the connection")
            }
            throw ConnectError(.canceled, "the query was cancelled")
        } catch let e as ObjectStoreError {
            // A block the bucket cannot serve now: fail rather than answer without it.
            logger.warning("query failed: a block cannot be read from the object store", metadata: ["error": "\(e)"])
            throw ConnectError(.unavailable, "a block in the object store cannot be read (\(e)); try again later")
        } catch let e as SharedIngesterID {
            logger.error("query failed: two ingesters answered with one id", metadata: ["error": "\(e)"])
            throw ConnectError(.internal, "\(e)")
        } catch let e as IngesterError {
            logger.warning("query failed at an ingester", metadata: ["error": "\(e)"])
            throw e.connectError
        }
    }
}
