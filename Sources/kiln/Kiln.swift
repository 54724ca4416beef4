import ArgumentParser
import Foundation
import KilnIngest
import KilnServer
import KilnStorage
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Yams

/// The `kiln` daemon: every module in one process (`--target=all`), or the
/// ingest side (`--target=ingester`) and the query side (`--target=querier`)
/// in processes of their own, serving Pyroscope's ingest and query APIs over HTTP.
struct Kiln: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "Kiln, a continuous-profiling database that speaks Pyroscope's APIs.",
        discussion: """
            Listens on 0.0.0.0:4040 by default, like Pyroscope: point Pyroscope agents \
            (server address http://HOST:4040) and Grafana's Pyroscope data source at it.
            Every push is written to the write-ahead log under --storage.path and \
            synced before it is acknowledged; on start the log is replayed.
            """
    )

    @Option(
        name: .customLong("target"),
        help:
            "What this process runs: all (default), ingester (pushes, scrapes, WAL, heads, blocks shipped to the bucket) or querier (every query API, over the bucket and the heads of --querier.ingesters); see --modules."
    )
    var target = "all"

    @Flag(name: .customLong("modules"), help: "List the targets and modules, then exit.")
    var listModules = false

    @Option(
        name: .customLong("config.file"),
        help:
            "YAML config file; each key names the flag of the same name (storage.s3.bucket: --storage.s3.bucket), Pyroscope's keys included. Flags given here override it. See docs/configuration.md."
    )
    var configFile: String?

    @Flag(
        name: .customLong("config.expand-env"),
        help: "Replace ${VAR}, ${VAR:-default} and $VAR in the config file with the environment's values (as Pyroscope does).")
    var configExpandEnv = false

    /// What `FlagResolver` ignored of the Pyroscope flags and keys given, logged at start.
    var warnings: [String] = []

    @OptionGroup(title: "Server") var server: ServerOptions
    @OptionGroup(title: "Storage and object store") var storage: StorageOptions
    @OptionGroup(title: "Ingester: WAL, heads, blocks, compaction") var ingester: IngesterOptions
    @OptionGroup(title: "Querier") var querier: QuerierOptions
    @OptionGroup(title: "Limits (defaults for every tenant; per tenant: overrides in the config file)") var limits: LimitsOptions
    @OptionGroup(title: "Self-profiling") var selfProfiling: SelfProfilingOptions

    /// What must hold across the roles' flags (each group checks its own).
    func validate() throws {
        let modules = try modules()
        if modules.contains(.ingester) {
            guard try querier.ingesterAddresses().isEmpty else {
                throw ValidationError("--querier.ingesters: only a querier without an ingester of its own asks ingesters (--target=querier)")
            }
        } else {
            guard try storage.objectStore() != nil else {
                throw ValidationError(
                    "--target=querier reads the blocks the ingesters ship: it needs --storage.backend=s3 (or a shared --storage.filesystem.dir)")
            }
            let ingesters = try querier.ingesterAddresses()
            guard !ingesters.isEmpty else {
                throw ValidationError("--target=querier needs --querier.ingesters: the heads hold the data no block has yet")
            }
            guard Set(ingesters).count == ingesters.count else { throw ValidationError("--querier.ingesters: an ingester is listed twice") }
            guard ingester.ingesterID == nil else { throw ValidationError("--ingester.id: this process runs no ingester (--target=\(target))") }
            guard !ingester.flushOnShutdown else {
                throw ValidationError("--ingester.flush-on-shutdown: this process runs no ingester (--target=\(target))")
            }
        }
        if !modules.contains(.distributor) {
            guard !selfProfiling.selfProfiling else {
                throw ValidationError(
                    "--self-profiling.enabled: stores through the distributor, which this process does not run (--target=\(target))")
            }
            guard try configSection("scrape_configs", ScrapeConfigs.parse)?.isEmpty ?? true else {
                throw ValidationError("scrape_configs: scraping is the distributor's, which this process does not run (--target=\(target))")
            }
        }
        _ = try tenantLimits()
    }

    func modules() throws -> Set<Module> {
        do { return try Module.parseTarget(target) } catch { throw ValidationError("\(error)") }
    }

    /// The default limits (flags) and the config file's per-tenant overrides.
    func tenantLimits() throws -> TenantLimits {
        let defaults = try limits.defaults()
        return TenantLimits(
            defaults: defaults, overrides: try configSection("overrides") { try LimitOverrides.parse($0, defaults: defaults, path: $1) } ?? [:])
    }

    /// The config file's structured section `key` read by `parse` (with the
    /// file's path, for errors); nil without a config file.
    func configSection<T>(_ key: String, _ parse: (Node?, String) throws -> T) throws -> T? {
        guard let path = configFile else { return nil }
        do { return try parse(try ConfigFile(path: path, expandEnvironment: configExpandEnv).sections[key], path) } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The server's settings, from every group.
    func serverConfig() throws -> ServerConfig {
        var config = ServerConfig()
        config.host = server.address.isEmpty ? "0.0.0.0" : server.address
        config.port = server.port
        config.maxRequestBodyBytes = server.maxRequestBodyBytes
        config.maxDecompressedBytes = server.maxDecompressedBytes
        config.multitenancy = server.multitenancy
        config.users = try server.users()
        config.bearerTokens = try server.bearerTokens()
        config.queryTimeout = try querier.timeout()
        config.queryMaxSamples = querier.queryMaxSamples
        config.ingesters = try querier.ingesterAddresses()
        config.limits = try tenantLimits()
        config.selfProfilingTenant = selfProfiling.selfProfiling ? selfProfiling.selfProfilingTenant : nil
        config.selfProfilingHeapRate = try selfProfiling.heapRate()
        config.selfProfilingInterval = try selfProfiling.interval()
        config.scrapes = try configSection("scrape_configs", ScrapeConfigs.parse) ?? []
        config.modules = try modules()
        return config
    }

    func run() async throws {
        if listModules {
            print(Module.listing)
            return
        }
        var logger = Logger(label: "kiln")
        logger.logLevel = ServerOptions.logLevel(server.logLevel)!
        for warning in warnings { logger.warning("\(warning)") }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let config = try serverConfig()
        logger.info("starting", metadata: ["target": "\(target)", "modules": "\(config.modules.sorted().map(\.rawValue))"])
        let roles =
            try await config.modules.contains(.ingester)
            ? ingesterRoles(config: config, logger: logger) : querierRoles(config: config, logger: logger)
        let settings = TenantSettingsStore(store: try storage.settingsStore())
        try await Self.runGroup(
            roles.services + KilnApplication.build(config: config, logger: logger, store: roles.store, metrics: registry, settings: settings).all,
            logger: logger)
    }

    /// The ingester's roles (its own upkeep, the compactor, its bucket catalog), over its data
    /// directory, opened, replayed, its lease taken and its bucket blocks adopted.
    func ingesterRoles(config: ServerConfig, logger: Logger) async throws -> (store: ProcessStore, services: [any Service]) {
        for c in config.scrapes {
            logger.info(
                "scraping",
                metadata: [
                    "job": "\(c.jobName)", "targets": "\(c.targets.map(\.address))",
                    "profiles": "\(c.profiles.map(\.name))", "interval": "\(c.intervalSeconds)s",
                ])
        }
        let path = storage.storagePath
        let walDirectory = path + "/wal"
        let ingester: Ingester
        do {
            let store = try storage.objectStore()
            let cache = try store.map { _ in try ObjectCache(directory: path + "/cache", options: try storage.cacheOptions()) }
            ingester = try await Ingester(
                walDirectory: walDirectory, blockDirectory: path + "/blocks", objectStore: store,
                cache: cache, id: self.ingester.ingesterID, leaseTimeout: IngesterLease.timeout(checkInterval: self.ingester.checkInterval),
                options: self.ingester.walOptions, logger: logger)
        } catch {
            logger.critical("cannot open the data in \(path): \(error)")
            throw ExitCode(1)
        }
        if let r = ingester.replay {
            logger.info(
                "WAL replayed",
                metadata: [
                    "directory": "\(walDirectory)", "segments": "\(r.segments)", "records": "\(r.records)",
                    "samples": "\(r.samples)", "bytes": "\(r.bytes)", "seconds": "\(String(format: "%.3f", r.seconds))",
                ])
        }
        // Another live process with this id refuses the start: both would merge the same blocks.
        // Blocks only in the bucket (released before a restart) are queryable before the server listens;
        // if the bucket cannot be listed now, the catalog retries and they appear once it can.
        do {
            try await ingester.acquireLease(logger: logger)
            try await ingester.syncBucket(logger: logger)
        } catch let e as IngesterLease.Conflict {
            logger.critical("\(e)")
            ingester.close()
            throw ExitCode(1)
        } catch {
            logger.error(
                "cannot list the bucket's blocks; retrying in the background (queries miss them until then)", metadata: ["error": "\(error)"])
        }
        ingester.recordGauges()
        let interval = self.ingester.checkInterval
        // First the ingester, which stops last (the WAL closed, the lease released), then its other roles;
        // the HTTP server comes after them, and stops first, answering the requests in flight.
        var services: [any Service] = [
            IngesterService(
                ingester: ingester, policy: self.ingester.cutPolicy, grace: try storage.uploadGrace(), interval: interval,
                flushOnShutdown: self.ingester.flushOnShutdown, logger: logger),
            CompactorService(ingester: ingester, policy: try self.ingester.compactionPolicy(), interval: interval, logger: logger),
        ]
        if ingester.shipper != nil { services.append(BucketCatalog(.ingester(ingester), interval: interval, logger: logger)) }
        return (.ingester(ingester), services)
    }

    /// A querier's one role, its bucket catalog: no WAL, no blocks of its own; the bucket's blocks listed
    /// at start (queries answer 503 until then) and again every --head.check-interval, the heads asked
    /// of --querier.ingesters per query.
    func querierRoles(config: ServerConfig, logger: Logger) async throws -> (store: ProcessStore, services: [any Service]) {
        guard let store = try storage.objectStore() else {
            throw ValidationError("--target=querier needs a bucket: --storage.backend=s3 or --storage.filesystem.dir")
        }
        let reader: BucketReader
        do {
            reader = BucketReader(
                store: store, cache: try ObjectCache(directory: storage.storagePath + "/cache", options: try storage.cacheOptions()))
        } catch {
            logger.critical("cannot open the cache in \(storage.storagePath)/cache: \(error)")
            throw ExitCode(1)
        }
        for address in config.ingesters { logger.info("asking ingester for heads", metadata: ["address": "\(ServerConfig.redacted(address))"]) }
        do { try await reader.refreshBucket(logger: logger) } catch {
            logger.error(
                "cannot list the bucket's blocks; retrying in the background (queries answer 503 until then)", metadata: ["error": "\(error)"])
        }
        reader.recordGauges()
        return (.bucket(reader), [BucketCatalog(.bucket(reader), interval: ingester.checkInterval, logger: logger)])
    }

    /// Runs `services` as one group until SIGTERM or SIGINT, or until a role
    /// loses the ingester's lease: then the group stops gracefully just the
    /// same (services in reverse order), and the daemon exits 1.
    static func runGroup(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch is IngesterLease.Conflict {
            throw ExitCode(1)  // logged by the role that found it
        }
    }
}
