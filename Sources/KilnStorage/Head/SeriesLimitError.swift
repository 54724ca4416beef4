/// A push refused because it would take the tenant's live head past its
/// series limit (`max_global_series_per_tenant`). Nothing of it is stored.
///
/// The live head holds the series written since the last cut, so the limit
/// bounds the series one head (and the block cut from it) can hold: the
/// index and postings an ingester keeps in memory per tenant.
public struct SeriesLimitError: Error, Sendable, Equatable, CustomStringConvertible {
    public let tenant: String
    public let limit: Int
    /// Series in the live head before the push.
    public let series: Int
    /// Series the push would have added.
    public let adding: Int

    public var description: String {
        "per-tenant series limit exceeded: max_global_series_per_tenant is \(limit), the head holds \(series) series and the push would add \(adding); the push was not stored"
    }
}
