import KilnQuery
import KilnStorage

/// What a process stores into and answers from, by its target.
public enum ProcessStore: Sendable {
    /// `--target=ingester` or `all`: the WAL, heads and blocks, behind every
    /// module's routes (distributor, ingester, compactor, querier).
    case ingester(Ingester)
    /// `--target=querier`: the bucket's blocks only, behind the query routes
    /// (the heads are asked of the ingesters per query).
    case bucket(BucketReader)

    /// Where queries find their sources.
    var catalog: any QueryCatalog {
        switch self {
        case .ingester(let ingester): ingester
        case .bucket(let reader): reader
        }
    }
}
