import Foundation
import KilnServer
import KilnTestSupport
import Testing

@testable import kiln

/// A Pyroscope operator's command line and config file read into Kiln's
/// flags, through the real `Kiln` command.
@Suite struct InvocationTests {
    static func file(_ yaml: String) throws -> String {
        let path = NSTemporaryDirectory() + "kiln-invocation-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aPyroscopeCommandLine() throws {
        let kiln = try Invocation([
            "-auth.multitenancy-enabled=true", "-server.http-listen-port=4100", "-server.http-listen-address=",
            "-storage.backend=s3", "-storage.s3.bucket-name=profiles", "-storage.s3.endpoint=127.0.0.1:9000", "-storage.s3.insecure",
            "-storage.s3.access-key-id", "key", "-storage.s3.secret-access-key=secret", "-storage.s3.region=eu-west-1",
            "-pyroscopedb.data-path=/var/lib/pyroscope", "-log.level=warn", "-pyroscopedb.max-block-duration=30m",
            "-self-profiling.disable-push=true", "-compactor.blocks-retention-period=30d",
        ]).command()
        #expect(kiln.server.multitenancy && kiln.server.port == 4100 && kiln.storage.storagePath == "/var/lib/pyroscope")
        #expect(kiln.storage.s3Bucket == "profiles" && kiln.storage.s3AccessKey == "key" && kiln.storage.s3SecretKey == "secret")
        #expect(try kiln.storage.s3EndpointURL(region: "eu-west-1") == "http://127.0.0.1:9000")
        #expect(try kiln.storage.s3PathStyle(endpoint: "http://127.0.0.1:9000"), "auto: path-style off AWS")
        #expect(try !kiln.storage.s3PathStyle(endpoint: "https://s3.eu-west-1.amazonaws.com"))
        #expect(
            ServerOptions.logLevel(kiln.server.logLevel) == .warning && kiln.ingester.maxBlockDurationSeconds == 1800
                && !kiln.selfProfiling.selfProfiling)
        #expect(try kiln.ingester.retentionNanos() == 30 * 86_400_000_000_000)
    }

    @Test func aPyroscopeConfigFileAndTheCommandLineOverIt() throws {
        let path = try Self.file(
            """
            multitenancy_enabled: true
            target: all
            server:
              http_listen_port: 4100
              log_level: debug
              grpc_listen_port: 9095
            storage:
              backend: s3
              prefix: pyro/
              s3:
                bucket_name: profiles
                endpoint: minio:9000
                insecure: true
                access_key_id: key
                secret_access_key: secret
                region: us-east-1
                http:
                  idle_conn_timeout: 10m
            pyroscopedb:
              data_path: /data
              max_block_duration: 1h
              min_free_disk_gb: 10
            limits:
              ingestion_rate_mb: 8
              ingestion_burst_size_mb: 4
              max_query_length: 1d
              max_global_series_per_tenant: 100
              max_label_names_per_series: 25
              reject_older_than: 1h
            self_profiling:
              disable_push: true
            analytics:
              reporting_enabled: false
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let invocation = try Invocation(["-config.file", path, "-auth.multitenancy-enabled=false", "-storage.s3.bucket-name=other"])
        let kiln = try invocation.command()
        #expect(!kiln.server.multitenancy && kiln.storage.s3Bucket == "other", "the command line overrides the file")
        #expect(
            kiln.server.port == 4100 && kiln.server.logLevel == "debug" && kiln.storage.storagePath == "/data" && kiln.storage.s3Prefix == "pyro/")
        #expect(try kiln.storage.s3EndpointURL(region: "us-east-1") == "http://minio:9000")
        #expect(
            kiln.limits.ingestionRateMB == 8 && kiln.limits.ingestionBurstMB == 4 && kiln.limits.maxQueryLength == "1d"
                && kiln.limits.maxSeriesPerTenant == 100)
        #expect(kiln.limits.maxLabelNamesPerSeries == 25 && kiln.ingester.maxBlockDurationSeconds == 3600)
        let ignored = [
            "server.grpc_listen_port", "storage.s3.http.idle_conn_timeout", "pyroscopedb.min_free_disk_gb", "limits.reject_older_than",
            "analytics.reporting_enabled",
        ]
        #expect(kiln.warnings.count == ignored.count, "\(kiln.warnings)")
        for key in ignored { #expect(kiln.warnings.contains { $0.contains("key \(key) ") }, "\(key): \(kiln.warnings)") }
    }

    /// The limit flags are every tenant's defaults; a tenant's `overrides:`
    /// replace only the keys it names (what `LimitsTests` then enforces).
    @Test func theLimitFlagsAndTheOverridesBecomeEachTenantsLimits() throws {
        let path = try Self.file(
            """
            overrides:
              big:
                ingestion_rate_mb: 100
                ingestion_burst_size_mb: 100
                max_global_series_per_tenant: 0
                max_profile_stacktrace_samples: 0
                max_query_length: 0
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let limits = try Invocation([
            "--config.file", path, "--distributor.ingestion-rate-limit-mb", "0.5", "--distributor.ingestion-burst-size-mb", "1.5",
            "--validation.max-profile-stacktrace-samples", "300", "--validation.max-label-names-per-series", "14",
            "--validation.max-length-label-value", "64", "--validation.max-profile-stacktrace-depth", "10",
            "--ingester.max-global-series-per-tenant", "12", "--querier.max-query-length", "1h",
        ]).command().serverConfig().limits
        var defaults = Limits()
        (defaults.ingestionRateMB, defaults.ingestionBurstSizeMB, defaults.maxSeriesPerTenant) = (0.5, 1.5, 12)
        defaults.maxQueryLengthNanos = 3_600_000_000_000
        (defaults.ingest.maxProfileSamples, defaults.ingest.maxLabelNamesPerSeries) = (300, 14)
        (defaults.ingest.maxLabelValueLength, defaults.ingest.maxStackDepth) = (64, 10)
        var big = defaults
        (big.ingestionRateMB, big.ingestionBurstSizeMB, big.maxSeriesPerTenant) = (100, 100, 0)
        (big.ingest.maxProfileSamples, big.maxQueryLengthNanos) = (0, 0)
        #expect(limits == TenantLimits(defaults: defaults, overrides: ["big": big]))
        #expect(limits.of("big") == big && limits.of("other") == defaults)
    }

    @Test func theEnvironmentIsExpandedOnlyWhenAsked() throws {
        let env = ["BUCKET": "profiles", "EMPTY": ""]
        #expect(
            ConfigFile.expand("a: ${BUCKET}\nb: ${MISSING:-fallback}\nc: $BUCKET/x\nd: ${EMPTY:-e}\ne: $$ 5$ ${NONE}", env)
                == "a: profiles\nb: fallback\nc: profiles/x\nd: e\ne: $$ 5$ ")
        let path = try Self.file("storage:\n  s3:\n    bucket_name: ${KILN_INVOCATION_TEST:-from-default}\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Invocation(["-config.file=\(path)", "-config.expand-env=true"]).command().storage.s3Bucket == "from-default")
        #expect(try Invocation(["-config.file=\(path)"]).command().storage.s3Bucket == "${KILN_INVOCATION_TEST:-from-default}")
    }

    @Test func durationsInKilnsAndPyroscopesForms() throws {
        let s: Int64 = 1_000_000_000
        for (text, nanos) in [
            ("0", 0), ("0s", 0), ("90s", 90 * s), ("15m", 900 * s), ("1h30m", 5400 * s), ("500ms", s / 2), ("30d", 30 * 86_400 * s),
            ("1w", 7 * 86_400 * s), ("1y", 365 * 86_400 * s),
        ] as [(String, Int64)] {
            #expect(try FlagValue.duration(text, flag: "--x") == nanos, "\(text)")
        }
        for bad in ["", "h", "1x", "1.5h", "-1h", "1h 30m", "99999999999999999999y"] {
            #expect(throws: (any Error).self, "\(bad)") { try FlagValue.duration(bad, flag: "--x") }
        }
    }

    /// The table maps onto flags Kiln has, names none it has itself, and docs/configuration.md lists every entry.
    @Test func theCompatibilityTableAndItsDocumentationAgree() throws {
        let catalog = Invocation.resolver.catalog
        #expect(catalog.switches.contains("auth.multitenancy-enabled") && catalog.switches.contains("storage.s3.insecure"))
        #expect(catalog.options.contains("storage.s3.bucket") && catalog.options.contains("config.file"))
        let doc = try String(contentsOf: TestData.root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        for (name, entry) in PyroscopeFlags.table {
            #expect(!catalog.contains(name), "\(name) is Kiln's own flag: its entry is never used")
            switch entry {
            case .alias(let kiln), .converted(let kiln, _, _):
                #expect(catalog.contains(kiln) || kiln == name, "\(name) → \(kiln), which Kiln does not have")
            case .ignored, .refused: break
            }
            #expect(doc.contains("`-\(name)`"), "docs/configuration.md does not list -\(name)")
        }
        for key in PyroscopeFlags.fileKeys.keys { #expect(doc.contains("`\(key)`"), "docs/configuration.md does not list the key \(key)") }
        for (prefix, _) in PyroscopeFlags.prefixes { #expect(doc.contains("`\(prefix)*`"), "docs/configuration.md does not list \(prefix)*") }
    }
}
