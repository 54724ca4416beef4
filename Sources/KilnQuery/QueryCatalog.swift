import KilnStorage
import Logging

/// Where queries find their sources: each tenant's head (live, frozen, its
/// blocks, local or in the bucket), whether the bucket's blocks are listed,
/// and a way to list them again when a query finds the listing stale
/// (`Query.relistingOnce`).
public protocol QueryCatalog: Sendable {
    /// False until the bucket's blocks have been listed once (queries answer 503 until then).
    var bucketListed: Bool { get }

    /// The tenant's data here, nil when it has none.
    func head(for tenant: String) -> Head?

    /// Lists the bucket again: a querier whose listing is behind its ingesters.
    func refreshBucket(logger: Logger?) async throws
}
