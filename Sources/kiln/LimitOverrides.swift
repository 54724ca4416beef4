import KilnServer
import Yams

/// The config file's `overrides:` section: per-tenant limits, as in
/// Pyroscope's runtime config, each key a limit's YAML name.
///
/// ```yaml
/// overrides:
///   tenant-a:
///     ingestion_rate_mb: 16
///     max_global_series_per_tenant: 20000
/// ```
///
/// A tenant's limits are the defaults (flags) with its keys replaced.
enum LimitOverrides {
    /// The keys, with how each sets its limit from a YAML scalar.
    static let keys: [String: @Sendable (inout Limits, String) throws -> Void] = [
        "ingestion_rate_mb": { l, v in l.ingestionRateMB = try number(v) },
        "ingestion_burst_size_mb": { l, v in l.ingestionBurstSizeMB = try number(v) },
        "max_global_series_per_tenant": { l, v in l.maxSeriesPerTenant = try count(v) },
        "max_query_length": { l, v in l.maxQueryLengthNanos = try FlagValue.duration(v, flag: "max_query_length") },
        "max_label_names_per_series": { l, v in l.ingest.maxLabelNamesPerSeries = try count(v) },
        "max_label_name_length": { l, v in l.ingest.maxLabelNameLength = try count(v) },
        "max_label_value_length": { l, v in l.ingest.maxLabelValueLength = try count(v) },
        "max_profile_size_bytes": { l, v in l.ingest.maxProfileSizeBytes = try count(v) },
        "max_profile_stacktrace_samples": { l, v in l.ingest.maxProfileSamples = try count(v) },
        "max_profile_stacktrace_depth": { l, v in l.ingest.maxStackDepth = try count(v) },
    ]

    typealias Invalid = ConfigFile.Invalid

    /// Each tenant's limits: `defaults` with the section's keys applied.
    /// - Throws: `Invalid` naming the file, the key path and the reason.
    static func parse(_ section: Node?, defaults: Limits, path: String) throws -> [String: Limits] {
        guard let section else { return [:] }
        guard case .mapping(let tenants) = section else {
            throw Invalid(description: "config file \(path), key overrides: a mapping of tenant ids to limits")
        }
        var out: [String: Limits] = [:]
        for (t, body) in tenants {
            guard let tenant = t.string, !tenant.isEmpty else {
                throw Invalid(description: "config file \(path), key overrides: tenant ids must be plain strings")
            }
            guard case .mapping(let entries) = body else {
                throw Invalid(description: "config file \(path), key overrides.\(tenant): a mapping of limit names to values")
            }
            var limits = defaults
            for (k, v) in entries {
                let key = k.string ?? "?"
                guard let set = keys[key] else {
                    throw Invalid(
                        description:
                            "config file \(path): unknown key overrides.\(tenant).\(key) (limits: \(keys.keys.sorted().joined(separator: ", ")))")
                }
                guard case .scalar(let scalar) = v else {
                    throw Invalid(description: "config file \(path), key overrides.\(tenant).\(key): a single value")
                }
                do { try set(&limits, scalar.string) } catch {
                    throw Invalid(description: "config file \(path), key overrides.\(tenant).\(key): \(error)")
                }
            }
            out[tenant] = limits
        }
        return out
    }

    static func number(_ v: String) throws -> Double {
        guard let d = Double(v), d >= 0, d.isFinite else { throw Invalid(description: "\"\(v)\" is not a non-negative number") }
        return d
    }

    static func count(_ v: String) throws -> Int {
        guard let n = Int(v), n >= 0 else { throw Invalid(description: "\"\(v)\" is not a non-negative integer") }
        return n
    }
}
