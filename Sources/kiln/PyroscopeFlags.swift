/// The Pyroscope flags and config keys an operator is likely to carry over
/// (Pyroscope 1.x, `pyroscope -help-all`), and what Kiln does with each
/// that is not already a Kiln flag of the same name: an alias of a Kiln
/// flag, a conversion, ignored with a warning, or refused with the reason.
/// docs/configuration.md ("Coming from Pyroscope") lists the same table.
enum PyroscopeFlags {
    enum Entry: Sendable {
        /// Kiln's flag of the same meaning and values.
        case alias(String)
        /// Kiln's flag `to`, with the value converted (nil: nothing to set;
        /// throws `Refusal` for a value Kiln cannot honour).
        case converted(to: String, takesValue: Bool, @Sendable (String) throws -> String?)
        /// Accepted and ignored, with a warning saying why.
        case ignored(takesValue: Bool, because: String)
        /// Stops the start, saying why.
        case refused(takesValue: Bool, because: String)
    }

    struct Refusal: Error {
        let reason: String
    }

    /// By flag name (without dashes).
    static let table: [String: Entry] = [
        // Local data and blocks.
        "pyroscopedb.data-path": .alias("storage.path"),
        "pyroscopedb.max-block-duration": .converted(to: "head.max-block-duration", takesValue: true) { value in
            let nanos: Int64
            do { nanos = try FlagValue.duration(value, flag: "-pyroscopedb.max-block-duration") } catch { throw Refusal(reason: "\(error)") }
            return "\(Double(nanos) / 1e9)"
        },
        "compactor.blocks-retention-period": .alias("retention"),
        // Object storage.
        "storage.s3.bucket-name": .alias("storage.s3.bucket"),
        "storage.s3.access-key-id": .alias("storage.s3.access-key"),
        "storage.s3.secret-access-key": .alias("storage.s3.secret-key"),
        "storage.prefix": .alias("storage.s3.prefix"),
        "storage.storage-prefix": .alias("storage.s3.prefix"),
        "storage.s3.signature-version": .converted(to: "storage.s3.signature-version", takesValue: true) { value in
            guard value == "v4" else { throw Refusal(reason: "Kiln signs with SigV4 only (signature_version v4), not \"\(value)\"") }
            return nil
        },
        "storage.s3.native-aws-auth-enabled": .ignored(
            takesValue: false, because: "Kiln takes S3 credentials from flags or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY only"),
        "storage.s3.http.insecure-skip-verify": .converted(to: "storage.s3.http.insecure-skip-verify", takesValue: false) { value in
            guard FlagSyntax.bool(value) == false else {
                throw Refusal(reason: "Kiln always verifies the endpoint's TLS certificate (add its CA to the system's trust store)")
            }
            return nil
        },
        "storage.s3.sse.type": .converted(to: "storage.s3.sse.type", takesValue: true) { value in
            guard value.isEmpty else {
                throw Refusal(reason: "Kiln does not request server-side encryption (\(value)); enable the bucket's default encryption instead")
            }
            return nil
        },
        // Server and process.
        "server.grpc-listen-port": .ignored(takesValue: true, because: "Kiln serves every API on the HTTP port"),
        "server.grpc-listen-address": .ignored(takesValue: true, because: "Kiln serves every API on the HTTP port"),
        "server.http-listen-network": .ignored(takesValue: true, because: "Kiln listens on TCP"),
        "log.format": .ignored(takesValue: true, because: "Kiln logs in swift-log's text format"),
        "config.show_banner": .ignored(takesValue: false, because: "Kiln prints no banner"),
        "shutdown-delay": .ignored(takesValue: true, because: "Kiln drains requests on SIGTERM without a delay"),
        "distributor.ingestion-body-limit-mb": .converted(to: "server.max-request-body-bytes", takesValue: true) { value in
            guard let mb = Double(value), mb > 0 else { throw Refusal(reason: "want a positive number of MiB, got \"\(value)\"") }
            return "\(Int(mb * 1_048_576))"
        },
        // Self-profiling: Pyroscope pushes its own profiles unless told not to; Kiln only when told to.
        "self-profiling.disable-push": .converted(to: "self-profiling.enabled", takesValue: false) { value in
            guard let disabled = FlagSyntax.bool(value) else { throw Refusal(reason: "want true or false, got \"\(value)\"") }
            return disabled ? "false" : "true"
        },
        "self-profiling.tenant-id": .alias("self-profiling.tenant"),
        "self-profiling.mutex-profile-fraction": .ignored(takesValue: true, because: "Kiln's self-profile has CPU and heap only"),
        "self-profiling.block-profile-rate": .ignored(takesValue: true, because: "Kiln's self-profile has CPU and heap only"),
        "self-profiling.use-k6-middleware": .ignored(takesValue: false, because: "Kiln has no k6 middleware"),
        // Features Kiln does not have.
        "usage-stats.enabled": .ignored(takesValue: false, because: "Kiln reports no usage statistics"),
        "tracing.enabled": .ignored(takesValue: false, because: "Kiln sends no traces"),
        "api.base-url": .ignored(takesValue: true, because: "Kiln has no web UI; its APIs are served at the root"),
        "architecture.storage": .ignored(takesValue: true, because: "Kiln has one storage layout"),
    ]

    /// Families of keys by prefix, after `table`: settings Kiln has no
    /// counterpart for, whole sections at a time.
    static let prefixes: [(prefix: String, entry: Entry)] = [
        ("pyroscopedb.", .ignored(takesValue: true, because: "Kiln cuts and keeps blocks by --head.* and --retention, not by free disk")),
        ("storage.s3.http.", .ignored(takesValue: true, because: "Kiln's S3 client (libcurl) sets its own connection limits and timeouts")),
        ("storage.s3.sse.", .ignored(takesValue: true, because: "Kiln does not request server-side encryption")),
        ("limits.", .ignored(takesValue: true, because: "not a limit Kiln enforces")),
    ]

    static func prefixEntry(_ name: String) -> Entry? {
        prefixes.first { name.hasPrefix($0.prefix) }?.entry
    }

    /// Pyroscope config file keys whose flag is not the key with `-` for `_`:
    /// key path → flag name (then looked up as any flag).
    static let fileKeys: [String: String] = [
        "multitenancy_enabled": "auth.multitenancy-enabled",
        "server.log_level": "log.level",
        "server.log_format": "log.format",
        "show_banner": "config.show_banner",
        "shutdown_delay": "shutdown-delay",
        "limits.ingestion_rate_mb": "distributor.ingestion-rate-limit-mb",
        "limits.ingestion_burst_size_mb": "distributor.ingestion-burst-size-mb",
        "limits.max_label_names_per_series": "validation.max-label-names-per-series",
        "limits.max_label_name_length": "validation.max-length-label-name",
        "limits.max_label_value_length": "validation.max-length-label-value",
        "limits.max_profile_size_bytes": "validation.max-profile-size-bytes",
        "limits.max_profile_stacktrace_samples": "validation.max-profile-stacktrace-samples",
        "limits.max_profile_stacktrace_depth": "validation.max-profile-stacktrace-depth",
        "limits.max_global_series_per_tenant": "ingester.max-global-series-per-tenant",
        "limits.max_query_length": "querier.max-query-length",
        "limits.compactor_blocks_retention_period": "compactor.blocks-retention-period",
        "analytics.reporting_enabled": "usage-stats.enabled",
        "architecture_storage": "architecture.storage",
    ]

    /// The flag a config file key path sets.
    static func flagName(forKey key: String) -> String {
        fileKeys[key] ?? key.replacingOccurrences(of: "_", with: "-")
    }
}
