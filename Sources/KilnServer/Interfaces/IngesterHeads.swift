import KilnQuery
import KilnStorage

/// What the internal head API serves a querier from: the ingester's heads
/// and blocks, which of those are in the bucket, and its id.
public protocol IngesterHeads: QueryCatalog {
    /// `--ingester.id`, nil without one.
    var id: String? { get }

    /// Whether `block` is in the bucket already (a querier reads it there).
    func isShipped(_ block: Block) -> Bool
}
