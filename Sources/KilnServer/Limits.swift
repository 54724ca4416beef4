import KilnIngest

/// One tenant's limits, under Pyroscope's names (the YAML keys of its
/// `limits` block and per-tenant `overrides`), with Pyroscope's defaults
/// unless noted. Every rejection names the limit by its key.
public struct Limits: Sendable, Equatable {
    /// What a push may contain (`-validation.*`).
    public var ingest = IngestLimits()
    /// `ingestion_rate_mb`: sustained ingestion per tenant, in MiB/s of
    /// uncompressed profiles; a push past it gets 429. 4 MiB/s is ~130 Go
    /// services each sending a CPU, a heap and a goroutine profile every 15 s.
    public var ingestionRateMB = 4.0
    /// `ingestion_burst_size_mb`: what may arrive at once above the rate, in
    /// MiB; also the largest single push accepted (uncompressed).
    public var ingestionBurstSizeMB = 2.0
    /// `max_global_series_per_tenant`: most series in a tenant's live head
    /// (written since the last cut); 0: off. A push that would add more gets 429.
    public var maxSeriesPerTenant = 5000
    /// `max_query_length`: longest range a query over samples may cover
    /// (flame graphs, profiles, diffs, time series, heatmaps); 0: any. Off
    /// by default, as in Pyroscope: `--query.max-samples` bounds the work.
    public var maxQueryLengthNanos: Int64 = 0

    public init() {}

    static let bytesPerMB = 1024.0 * 1024.0

    var ingestionRateBytesPerSecond: Double { ingestionRateMB * Self.bytesPerMB }
    var ingestionBurstBytes: Double { ingestionBurstSizeMB * Self.bytesPerMB }
}

/// The limits of every tenant: the defaults (flags) and per-tenant overrides
/// (the config file's `overrides:` section, keyed by tenant id).
public struct TenantLimits: Sendable, Equatable {
    public var defaults = Limits()
    public var overrides: [String: Limits] = [:]

    public init(defaults: Limits = Limits(), overrides: [String: Limits] = [:]) {
        self.defaults = defaults
        self.overrides = overrides
    }

    public func of(_ tenant: String) -> Limits { overrides[tenant] ?? defaults }
}
