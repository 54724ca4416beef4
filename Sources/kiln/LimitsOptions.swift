import ArgumentParser
import KilnIngest
import KilnServer

/// The per-tenant limits' defaults, under Pyroscope's flag names (the config
/// file's `overrides:` sets them per tenant).
struct LimitsOptions: ParsableArguments {
    @Option(
        name: .customLong("distributor.ingestion-rate-limit-mb"),
        help:
            "Per-tenant ingestion rate, MiB/s of uncompressed profiles; pushes over it get 429 (override per tenant: overrides.<tenant>.ingestion_rate_mb)."
    )
    var ingestionRateMB = Limits().ingestionRateMB

    @Option(
        name: .customLong("distributor.ingestion-burst-size-mb"),
        help: "Per-tenant ingestion burst, MiB: what may arrive at once above the rate, and the largest push accepted.")
    var ingestionBurstMB = Limits().ingestionBurstSizeMB

    @Option(name: .customLong("validation.max-label-names-per-series"), help: "Most labels on one series; more gets 400.")
    var maxLabelNamesPerSeries = IngestLimits().maxLabelNamesPerSeries

    @Option(name: .customLong("validation.max-length-label-name"), help: "Longest label name, bytes; longer gets 400.")
    var maxLabelNameLength = IngestLimits().maxLabelNameLength

    @Option(name: .customLong("validation.max-length-label-value"), help: "Longest label value, bytes; longer gets 400.")
    var maxLabelValueLength = IngestLimits().maxLabelValueLength

    @Option(name: .customLong("validation.max-profile-size-bytes"), help: "Largest profile, uncompressed bytes; larger gets 413. 0: off.")
    var maxProfileSizeBytes = IngestLimits().maxProfileSizeBytes

    @Option(name: .customLong("validation.max-profile-stacktrace-samples"), help: "Most samples in one profile; more gets 400. 0: off.")
    var maxProfileSamples = IngestLimits().maxProfileSamples

    @Option(
        name: .customLong("validation.max-profile-stacktrace-depth"),
        help: "Deeper stacks are truncated to this many frames nearest the root. 0: off.")
    var maxStackDepth = IngestLimits().maxStackDepth

    @Option(
        name: .customLong("ingester.max-global-series-per-tenant"),
        help: "Most series in a tenant's head (since the last cut); a push adding more gets 429. 0: off.")
    var maxSeriesPerTenant = Limits().maxSeriesPerTenant

    @Option(
        name: .customLong("querier.max-query-length"),
        help: "Longest time range a flame-graph, profile, diff, series or heatmap query may cover (s, m, h, d); longer gets 400. 0: any.")
    var maxQueryLength = "0"

    func validate() throws { _ = try defaults() }

    /// Every tenant's limits but those the config file overrides.
    func defaults() throws -> Limits {
        var d = Limits()
        guard ingestionRateMB >= 0, ingestionBurstMB >= 0 else {
            throw ValidationError("--distributor.ingestion-rate-limit-mb and -burst-size-mb must not be negative")
        }
        d.ingestionRateMB = ingestionRateMB
        d.ingestionBurstSizeMB = ingestionBurstMB
        d.maxSeriesPerTenant = maxSeriesPerTenant
        d.maxQueryLengthNanos = try FlagValue.duration(maxQueryLength, flag: "--querier.max-query-length")
        d.ingest.maxLabelNamesPerSeries = maxLabelNamesPerSeries
        d.ingest.maxLabelNameLength = maxLabelNameLength
        d.ingest.maxLabelValueLength = maxLabelValueLength
        d.ingest.maxProfileSizeBytes = maxProfileSizeBytes
        d.ingest.maxProfileSamples = maxProfileSamples
        d.ingest.maxStackDepth = maxStackDepth
        let counts = [
            maxSeriesPerTenant, maxLabelNamesPerSeries, maxLabelNameLength, maxLabelValueLength, maxProfileSizeBytes, maxProfileSamples,
            maxStackDepth,
        ]
        guard counts.allSatisfy({ $0 >= 0 }) else { throw ValidationError("limits must not be negative") }
        guard maxLabelNamesPerSeries > 0, maxLabelNameLength > 0, maxLabelValueLength > 0 else {
            throw ValidationError("--validation.max-label-names-per-series, -max-length-label-name and -max-length-label-value must be positive")
        }
        return d
    }
}
