import KilnIngest

/// Where the push routes, the scraper and the self-profiler store what
/// they accept: the ingester (WAL, then head).
public protocol PushSink: Sendable {
    /// Stores `profiles` for `tenant`, returning once they are durable.
    /// - Throws: `SeriesLimitError` when the tenant's head would hold more
    ///   than `maxSeries` series (0: no limit); storage errors otherwise.
    func push(_ profiles: [IngestProfile], tenant: String, maxSeries: Int) async throws
}
