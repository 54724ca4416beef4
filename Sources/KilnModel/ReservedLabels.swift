/// The reserved label names of the Pyroscope data model
/// (shared/reference/pyroscope-api.md §4.2).
public enum ReservedLabels {
    /// The profile name, first part of the profile type ID (`process_cpu`, `memory`…).
    public static let name = "__name__"
    /// The full five-part profile type ID.
    public static let profileType = "__profile_type__"
    /// The sample type (`cpu`, `alloc_space`…).
    public static let type = "__type__"
    /// The sample unit (`nanoseconds`, `bytes`…).
    public static let unit = "__unit__"
    public static let periodType = "__period_type__"
    public static let periodUnit = "__period_unit__"
    /// Private copy of `service_name`, kept for data locality.
    public static let privateServiceName = "__service_name__"
    /// The service; required, `unknown_service` when a push carries none.
    public static let serviceName = "service_name"
    public static let unknownService = "unknown_service"
    /// Ingest hint: `"false"` says the profile is already a delta. Consumed, never stored.
    public static let delta = "__delta__"
    /// Ingest hints consumed and removed before indexing.
    public static let otel = "__otel__"
    public static let order = "__order__"
    /// Kept (cardinality-limited upstream).
    public static let sessionID = "__session_id__"

    /// Labels that are ingest hints only and are removed before a series is stored.
    public static let ingestHints: Set<String> = [delta, otel, order]
}
