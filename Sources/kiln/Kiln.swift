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
        name: .customLong("querier.ingesters"),
        help:
            "--target=querier: the ingesters to ask for their heads on every query, comma-separated base URLs (http://host:4040; http://user:password@host:4040 with basic auth): every ingester shipping to the bucket."
    )
    var querierIngesters = ""

    @Option(
        name: .customLong("ingester.id"),
        help:
            "This ingester's name among those sharing a bucket (letters, digits, . _ -), written into its blocks as their owner: it adopts, compacts and expires only its own. Keep it with the data directory. One ingester per bucket may run without one (the default)."
    )
    var ingesterID: String?

    @Option(name: .customLong("server.http-listen-address"), help: "Address to listen on; empty: every interface (0.0.0.0).")
    var address = ServerConfig().host

    @Option(name: .customLong("server.http-listen-port"), help: "Port to listen on.")
    var port = ServerConfig().port

    @Option(name: .customLong("server.max-request-body-bytes"), help: "Largest request body accepted; larger ones get HTTP 413.")
    var maxRequestBodyBytes = ServerConfig().maxRequestBodyBytes

    @Option(name: .customLong("server.max-decompressed-bytes"), help: "Largest decompressed body or pprof payload accepted.")
    var maxDecompressedBytes = ServerConfig().maxDecompressedBytes

    @Option(name: .customLong("query.timeout"), help: "Longest a query may run (s, m, h); a client's shorter Connect-Timeout-Ms wins.")
    var queryTimeout = "60s"

    @Option(
        name: .customLong("query.max-samples"), help: "Most samples one flame graph or profile merge may read; larger queries get 400 and a message.")
    var queryMaxSamples = ServerConfig().queryMaxSamples

    @Flag(
        name: .customLong("auth.multitenancy-enabled"),
        help:
            "Require X-Scope-OrgID on every request (401 without it) and keep each tenant's data apart; off: requests without it are the anonymous tenant's."
    )
    var multitenancy = false

    @Option(
        name: .customLong("auth.basic.htpasswd-file"),
        help: "Require HTTP basic auth on every endpoint but /ready, for the users of this htpasswd file (bcrypt hashes: htpasswd -B).")
    var htpasswdFile: String?

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

    @Flag(
        name: .customLong("ingester.flush-on-shutdown"),
        help:
            "On SIGTERM, after the last request: cut every head into a block (shipped to the bucket with --storage.backend=s3) before exiting, so the next start replays nothing. Off: the WAL is synced and replayed at the next start."
    )
    var flushOnShutdown = false

    @Flag(
        name: .customLong("self-profiling.enabled"),
        help:
            "Profile Kiln itself: its CPU, sampled 100 times per CPU second, and its heap, stored every 10 s as service_name=\"kiln\" (process_cpu, memory) in --self-profiling.tenant, for Kiln's own flame graphs in Grafana."
    )
    var selfProfiling = false

    @Option(name: .customLong("self-profiling.tenant"), help: "The tenant Kiln's self-profile is stored for.")
    var selfProfilingTenant = "anonymous"

    @Option(
        name: .customLong("self-profiling.heap-sample-rate"),
        help: "Bytes allocated per heap sample on average (KiB, MiB suffixes; Go's default 512KiB); 0: no heap profile.")
    var selfProfilingHeapRate = "512KiB"

    @Option(name: .customLong("self-profiling.interval"), help: "How often the self-profile's samples are stored as one profile (s, m).")
    var selfProfilingInterval = "10s"

    @Option(name: .customLong("log.level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

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

    @Option(name: .customLong("storage.path"), help: "Directory for Kiln's data: the WAL in <path>/wal, blocks in <path>/blocks/<tenant>/<ULID>.")
    var storagePath = "./data"

    @Option(
        name: .customLong("storage.backend"),
        help:
            "filesystem: blocks stay under --storage.path (default), or are shipped to --storage.filesystem.dir when given. s3: blocks are also shipped to the bucket below."
    )
    var storageBackend = "filesystem"

    @Option(
        name: .customLong("storage.filesystem.dir"),
        help:
            "With --storage.backend=filesystem: a directory used as the bucket (a shared volume, as Pyroscope's): blocks are shipped there and read back from it, as from S3. Default: none, blocks stay under --storage.path."
    )
    var filesystemDirectory: String?

    @Option(
        name: .customLong("storage.s3.endpoint"),
        help:
            "S3 endpoint: a URL, or host[:port] as Pyroscope takes it (https, or http with --storage.s3.insecure). Default https://s3.<region>.amazonaws.com."
    )
    var s3Endpoint: String?

    @Option(name: .customLong("storage.s3.region"), help: "S3 region (default $AWS_REGION, $AWS_DEFAULT_REGION or us-east-1).")
    var s3Region: String?

    @Option(name: .customLong("storage.s3.bucket"), help: "S3 bucket.")
    var s3Bucket: String?

    @Option(name: .customLong("storage.s3.prefix"), help: "Prefix of every key Kiln writes in the bucket, e.g. kiln/.")
    var s3Prefix = ""

    @Option(name: .customLong("storage.s3.access-key"), help: "Access key id (default $AWS_ACCESS_KEY_ID).")
    var s3AccessKey: String?

    @Option(name: .customLong("storage.s3.secret-key"), help: "Secret access key (default $AWS_SECRET_ACCESS_KEY).")
    var s3SecretKey: String?

    @Flag(name: .customLong("storage.s3.insecure"), help: "With an endpoint given as host[:port]: plain http instead of https.")
    var s3Insecure = false

    @Flag(
        name: .customLong("storage.s3.force-path-style"),
        help:
            "Address the bucket as <endpoint>/<bucket>/… (MinIO, moto) rather than <bucket>.<endpoint>/…: --storage.s3.bucket-lookup-type=path-style."
    )
    var s3ForcePathStyle = false

    @Option(
        name: .customLong("storage.s3.bucket-lookup-type"),
        help: "auto: <bucket>.<endpoint>/… on AWS, <endpoint>/<bucket>/… elsewhere (MinIO, moto); path-style; virtual-hosted-style.")
    var s3BucketLookup = "auto"

    @Option(
        name: .customLong("storage.cache.size"),
        help: "Local disk cache of what queries read from the bucket, in <storage.path>/cache: at most this many bytes (KiB, MiB, GiB suffixes).")
    var cacheSize = "1GiB"

    @Option(name: .customLong("storage.cache.memory"), help: "Of the cache, the most recently read chunks kept in memory (KiB, MiB, GiB suffixes).")
    var cacheMemory = "64MiB"

    @Option(
        name: .customLong("storage.upload-grace-period"),
        help: "With a bucket: how long a shipped block stays on local disk before queries read it from the bucket (s, m, h, d; 0: at once).")
    var uploadGracePeriod = "15m"

    @Option(
        name: .customLong("head.max-block-duration"),
        help: "Cut a tenant's head into a block once its oldest profile arrived this many seconds ago (Pyroscope's default: 1 h).")
    var maxBlockDurationSeconds = 3600.0

    @Option(name: .customLong("head.max-bytes"), help: "Cut once a tenant's head is estimated to hold this many bytes.")
    var headMaxBytes = 256 << 20

    @Option(name: .customLong("head.check-interval"), help: "Seconds between checks of the cut, compaction and retention rules.")
    var headCheckIntervalSeconds = 15.0

    @Option(name: .customLong("compactor.ranges"), help: "Compaction windows, ascending, comma-separated durations (s, m, h, d).")
    var compactorRanges = "2h,12h,48h"

    @Option(name: .customLong("retention"), help: "Delete blocks whose newest profile is older than this duration (s, m, h, d); 0 keeps everything.")
    var retention = "0"

    @Option(name: .customLong("wal.segment-size"), help: "Maximum WAL segment size in bytes.")
    var walSegmentSize = WriteAheadLog.Options().segmentSize

    @Option(
        name: .customLong("wal.sync"),
        help:
            "group: acknowledge a push after fsync, batching concurrent pushes into one fsync (default). interval: acknowledge after write and fsync every --wal.sync-interval (a crash can lose up to one interval of acknowledged pushes)."
    )
    var walSync = "group"

    @Option(name: .customLong("wal.max-batch-delay"), help: "group mode: longest wait, in milliseconds, for more pushes to share an fsync.")
    var walMaxBatchDelayMs = 1.0

    @Option(name: .customLong("wal.sync-interval"), help: "interval mode: milliseconds between fsyncs.")
    var walSyncIntervalMs = 1000.0

    func validate() throws {
        let modules = try modules()
        if modules.contains(.ingester) {
            guard try ingesterAddresses().isEmpty else {
                throw ValidationError("--querier.ingesters: only a querier without an ingester of its own asks ingesters (--target=querier)")
            }
        } else {
            guard try objectStore() != nil else {
                throw ValidationError(
                    "--target=querier reads the blocks the ingesters ship: it needs --storage.backend=s3 (or a shared --storage.filesystem.dir)")
            }
            let ingesters = try ingesterAddresses()
            guard !ingesters.isEmpty else {
                throw ValidationError("--target=querier needs --querier.ingesters: the heads hold the data no block has yet")
            }
            guard Set(ingesters).count == ingesters.count else { throw ValidationError("--querier.ingesters: an ingester is listed twice") }
            guard ingesterID == nil else { throw ValidationError("--ingester.id: this process runs no ingester (--target=\(target))") }
            guard !flushOnShutdown else { throw ValidationError("--ingester.flush-on-shutdown: this process runs no ingester (--target=\(target))") }
        }
        if !modules.contains(.distributor) {
            guard !selfProfiling else {
                throw ValidationError(
                    "--self-profiling.enabled: stores through the distributor, which this process does not run (--target=\(target))")
            }
            guard try configSection("scrape_configs", ScrapeConfigs.parse)?.isEmpty ?? true else {
                throw ValidationError("scrape_configs: scraping is the distributor's, which this process does not run (--target=\(target))")
            }
        }
        if let ingesterID {
            guard Self.isValidIngesterID(ingesterID) else {
                throw ValidationError("--ingester.id: \"\(ingesterID)\" must be 1 to \(Self.maxIngesterIDLength) letters, digits, '.', '_' or '-'")
            }
        }
        guard Self.logLevel(logLevel) != nil else { throw ValidationError("--log.level: unknown level \"\(logLevel)\"") }
        guard (0...65535).contains(port) else { throw ValidationError("--server.http-listen-port: \(port) is not a TCP port") }
        guard maxRequestBodyBytes > 0, maxDecompressedBytes > 0 else { throw ValidationError("body limits must be positive") }
        guard ["group", "interval"].contains(walSync) else { throw ValidationError("--wal.sync: want group or interval, got \"\(walSync)\"") }
        guard walSegmentSize >= 1 << 20 else { throw ValidationError("--wal.segment-size: at least 1 MiB") }
        guard (0...1000).contains(walMaxBatchDelayMs) else { throw ValidationError("--wal.max-batch-delay: 0 to 1000 ms") }
        guard walSyncIntervalMs > 0 else { throw ValidationError("--wal.sync-interval: must be positive") }
        guard maxBlockDurationSeconds > 0, headCheckIntervalSeconds > 0 else {
            throw ValidationError("--head.max-block-duration and --head.check-interval must be positive")
        }
        guard headMaxBytes > 0 else { throw ValidationError("--head.max-bytes must be positive") }
        _ = try ranges()
        _ = try retentionNanos()
        _ = try objectStore()
        _ = try cacheOptions()
        guard try Self.parseDuration(queryTimeout, flag: "--query.timeout") > 0, queryMaxSamples > 0 else {
            throw ValidationError("--query.timeout and --query.max-samples must be positive")
        }
        _ = try Self.parseDuration(uploadGracePeriod, flag: "--storage.upload-grace-period")
        _ = try users()
        _ = try limits()
        _ = try Self.parseBytes(selfProfilingHeapRate, flag: "--self-profiling.heap-sample-rate")
        guard try Self.parseDuration(selfProfilingInterval, flag: "--self-profiling.interval") > 0 else {
            throw ValidationError("--self-profiling.interval must be positive")
        }
    }

    /// Longest `--ingester.id`: a host or pod name fits (DNS labels are at most 63).
    static let maxIngesterIDLength = 63

    /// An id is a name in logs, `meta.json` and messages: nothing to escape.
    static func isValidIngesterID(_ id: String) -> Bool {
        (1...maxIngesterIDLength).contains(id.utf8.count)
            && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    func modules() throws -> Set<Module> {
        do { return try Module.parseTarget(target) } catch { throw ValidationError("\(error)") }
    }

    /// `--querier.ingesters` as base URLs without a trailing slash.
    /// - Throws: for an address that is not an http(s) URL.
    func ingesterAddresses() throws -> [String] {
        try querierIngesters.split(separator: ",").map { part in
            var a = part.trimmingCharacters(in: .whitespaces)
            while a.hasSuffix("/") { a.removeLast() }
            guard let url = URL(string: a), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--querier.ingesters: \"\(a)\" is not an http:// or https:// URL")
            }
            return a
        }
    }

    /// The default limits (flags) and the config file's per-tenant overrides.
    func limits() throws -> TenantLimits {
        var d = Limits()
        guard ingestionRateMB >= 0, ingestionBurstMB >= 0 else {
            throw ValidationError("--distributor.ingestion-rate-limit-mb and -burst-size-mb must not be negative")
        }
        d.ingestionRateMB = ingestionRateMB
        d.ingestionBurstSizeMB = ingestionBurstMB
        d.maxSeriesPerTenant = maxSeriesPerTenant
        d.maxQueryLengthNanos = try Self.parseDuration(maxQueryLength, flag: "--querier.max-query-length")
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
        return TenantLimits(defaults: d, overrides: try configSection("overrides") { try LimitOverrides.parse($0, defaults: d, path: $1) } ?? [:])
    }

    /// The config file's structured section `key` read by `parse` (with the
    /// file's path, for errors); nil without a config file.
    func configSection<T>(_ key: String, _ parse: (Node?, String) throws -> T) throws -> T? {
        guard let path = configFile else { return nil }
        do { return try parse(try ConfigFile(path: path, expandEnvironment: configExpandEnv).sections[key], path) } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The basic-auth users of `--auth.basic.htpasswd-file`, none without it.
    func users() throws -> [String: String] {
        guard let path = htpasswdFile else { return [:] }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--auth.basic.htpasswd-file: cannot read \(path)")
        }
        let users: [String: String]
        do { users = try Htpasswd.parse(text, path: path) } catch { throw ValidationError("--auth.basic.htpasswd-file: \(error)") }
        guard !users.isEmpty else { throw ValidationError("--auth.basic.htpasswd-file: \(path) lists no user") }
        return users
    }

    /// "512MiB", "1GiB", "100KB", "4096" → bytes.
    static func parseBytes(_ text: String, flag: String) throws -> Int {
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
        ]
        let t = text.trimmingCharacters(in: .whitespaces)
        let (digits, unit) = units.first { t.hasSuffix($0.0) }.map { (String(t.dropLast($0.0.count)), $0.1) } ?? (t, 1)
        guard let n = Int(digits.trimmingCharacters(in: .whitespaces)), n >= 0, n <= Int.max / unit else {
            throw ValidationError("\(flag): \"\(text)\" is not a size such as 4096, 512MiB or 1GiB")
        }
        return n * unit
    }

    func cacheOptions() throws -> ObjectCache.Options {
        ObjectCache.Options(
            capacityBytes: try Self.parseBytes(cacheSize, flag: "--storage.cache.size"),
            memoryBytes: try Self.parseBytes(cacheMemory, flag: "--storage.cache.memory"))
    }

    /// A duration → nanoseconds: "90s", "15m", "2h", "30d", "0", and Go's and
    /// Prometheus' forms as Pyroscope writes them ("1h30m", "500ms", "0s", "1w", "1y").
    static func parseDuration(_ text: String, flag: String) throws -> Int64 {
        // "ms" before "m": the first unit that prefixes the rest is taken.
        let units: [(String, Int64)] = [
            ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000), ("h", 3_600_000_000_000), ("d", 86_400_000_000_000),
            ("w", 7 * 86_400_000_000_000), ("y", 365 * 86_400_000_000_000),
        ]
        let invalid = ValidationError("\(flag): \"\(text)\" is not a duration such as 90s, 15m, 2h, 1h30m or 30d")
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { throw invalid }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix(while: \.isASCII).prefix(while: \.isNumber)
            rest = rest.dropFirst(digits.count)
            guard let n = Int64(digits), let (unit, size) = units.first(where: { rest.hasPrefix($0.0) }) else {
                throw invalid
            }
            rest = rest.dropFirst(unit.count)
            let (product, overflow) = n.multipliedReportingOverflow(by: size)
            let (sum, overflowSum) = total.addingReportingOverflow(product)
            guard !overflow, !overflowSum else { throw invalid }
            total = sum
        }
        return total
    }

    func ranges() throws -> [Int64] {
        let r = try compactorRanges.split(separator: ",").map { try Self.parseDuration(String($0), flag: "--compactor.ranges") }
        guard !r.isEmpty, r.allSatisfy({ $0 > 0 }), r == r.sorted() else {
            throw ValidationError("--compactor.ranges: positive durations, ascending")
        }
        return r
    }

    func retentionNanos() throws -> Int64 { try Self.parseDuration(retention, flag: "--retention") }

    /// The bucket blocks are shipped to: S3, a directory (`--storage.filesystem.dir`),
    /// or nil for blocks kept under --storage.path only.
    func objectStore() throws -> (any ObjectStore)? {
        switch storageBackend {
        case "filesystem":
            guard let directory = filesystemDirectory, !directory.isEmpty else { return nil }
            do { return try FileSystemObjectStore(root: directory) } catch { throw ValidationError("--storage.filesystem.dir: \(error)") }
        case "s3":
            let env = S3Config.credentialsFromEnvironment()
            let region = s3Region.flatMap { $0.isEmpty ? nil : $0 } ?? env.region ?? "us-east-1"
            guard let bucket = s3Bucket, !bucket.isEmpty else { throw ValidationError("--storage.s3.bucket is required with --storage.backend=s3") }
            guard let access = s3AccessKey.flatMap({ $0.isEmpty ? nil : $0 }) ?? env.accessKey,
                let secret = s3SecretKey.flatMap({ $0.isEmpty ? nil : $0 }) ?? env.secretKey
            else {
                throw ValidationError(
                    "S3 credentials: --storage.s3.access-key and --storage.s3.secret-key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            let endpoint = try s3EndpointURL(region: region)
            return S3ObjectStore(
                S3Config(
                    endpoint: endpoint, region: region, bucket: bucket, prefix: s3Prefix, accessKey: access, secretKey: secret,
                    pathStyle: try s3PathStyle(endpoint: endpoint)))
        case "gcs", "azure", "swift", "cos":
            throw ValidationError("--storage.backend: Kiln stores blocks in S3 (or any S3-compatible store) or a directory, not \(storageBackend)")
        default:
            throw ValidationError("--storage.backend: want filesystem or s3, got \"\(storageBackend)\"")
        }
    }

    /// `--storage.s3.endpoint` as a URL: Kiln's form (a URL) as it is, Pyroscope's (host[:port]) with https, or http under
    /// --storage.s3.insecure.
    func s3EndpointURL(region: String) throws -> String {
        guard let endpoint = s3Endpoint, !endpoint.isEmpty else { return "https://s3.\(region).amazonaws.com" }
        if endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") { return endpoint }
        guard !endpoint.contains("://"), !endpoint.contains("/") else {
            throw ValidationError("--storage.s3.endpoint: want http(s)://host[:port] or host[:port], got \"\(endpoint)\"")
        }
        return (s3Insecure ? "http://" : "https://") + endpoint
    }

    /// Whether the bucket is addressed as <endpoint>/<bucket>/…: path-style, or auto off AWS (as Pyroscope's S3 client
    /// decides: only AWS's endpoints are known to serve <bucket>.<endpoint>).
    func s3PathStyle(endpoint: String) throws -> Bool {
        switch s3BucketLookup {
        case "path-style": return true
        case "virtual-hosted-style":
            guard !s3ForcePathStyle else {
                throw ValidationError("--storage.s3.force-path-style contradicts --storage.s3.bucket-lookup-type=virtual-hosted-style")
            }
            return false
        case "auto":
            let host = URLComponents(string: endpoint)?.host ?? ""
            return s3ForcePathStyle || !(host == "amazonaws.com" || host.hasSuffix(".amazonaws.com"))
        default:
            throw ValidationError("--storage.s3.bucket-lookup-type: want auto, path-style or virtual-hosted-style, got \"\(s3BucketLookup)\"")
        }
    }

    /// swift-log's level for `--log.level`; Pyroscope's `warn` is `warning`.
    static func logLevel(_ name: String) -> Logger.Level? {
        name == "warn" ? .warning : Logger.Level(rawValue: name)
    }

    func run() async throws {
        if listModules {
            print(Module.listing)
            return
        }
        var logger = Logger(label: "kiln")
        logger.logLevel = Self.logLevel(logLevel)!
        for warning in warnings { logger.warning("\(warning)") }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var config = ServerConfig()
        config.host = address.isEmpty ? "0.0.0.0" : address
        config.port = port
        config.maxRequestBodyBytes = maxRequestBodyBytes
        config.maxDecompressedBytes = maxDecompressedBytes
        config.queryTimeout = .nanoseconds(try Self.parseDuration(queryTimeout, flag: "--query.timeout"))
        config.queryMaxSamples = queryMaxSamples
        config.multitenancy = multitenancy
        config.users = try users()
        config.limits = try limits()
        config.selfProfilingTenant = selfProfiling ? selfProfilingTenant : nil
        config.selfProfilingHeapRate = try Self.parseBytes(selfProfilingHeapRate, flag: "--self-profiling.heap-sample-rate")
        config.selfProfilingInterval = .nanoseconds(try Self.parseDuration(selfProfilingInterval, flag: "--self-profiling.interval"))
        config.scrapes = try configSection("scrape_configs", ScrapeConfigs.parse) ?? []
        config.modules = try modules()
        config.ingesters = try ingesterAddresses()
        logger.info("starting", metadata: ["target": "\(target)", "modules": "\(config.modules.sorted().map(\.rawValue))"])
        guard config.modules.contains(.ingester) else {
            return try await runQuerier(config: config, registry: registry, logger: logger)
        }
        for c in config.scrapes {
            logger.info(
                "scraping",
                metadata: [
                    "job": "\(c.jobName)", "targets": "\(c.targets.map(\.address))",
                    "profiles": "\(c.profiles.map(\.name))", "interval": "\(c.intervalSeconds)s",
                ])
        }
        var walOptions = WriteAheadLog.Options()
        walOptions.segmentSize = walSegmentSize
        walOptions.sync =
            walSync == "interval"
            ? .interval(.milliseconds(walSyncIntervalMs))
            : .group(maxBatchDelay: .microseconds(Int64(walMaxBatchDelayMs * 1000)))
        let walDirectory = storagePath + "/wal"
        let ingester: Ingester
        do {
            let store = try objectStore()
            let cache = try store.map { _ in try ObjectCache(directory: storagePath + "/cache", options: try cacheOptions()) }
            ingester = try await Ingester(
                walDirectory: walDirectory, blockDirectory: storagePath + "/blocks", objectStore: store,
                cache: cache, id: ingesterID, leaseTimeout: IngesterLease.timeout(checkInterval: .seconds(headCheckIntervalSeconds)),
                options: walOptions, logger: logger)
        } catch {
            logger.critical("cannot open the data in \(storagePath): \(error)")
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
        let policy = Ingester.CutPolicy(maxAge: .seconds(maxBlockDurationSeconds), maxBytes: headMaxBytes)
        let retentionNanos = try retentionNanos()
        let compaction = Ingester.CompactionPolicy(
            planner: CompactionPlanner(ranges: try ranges()),
            retention: retentionNanos > 0 ? .nanoseconds(retentionNanos) : nil)
        let grace = Duration.nanoseconds(try Self.parseDuration(uploadGracePeriod, flag: "--storage.upload-grace-period"))
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
        let interval = Duration.seconds(headCheckIntervalSeconds)
        // First the ingester, which stops last (the WAL closed, the lease released), then its other roles;
        // the HTTP server last, which stops first, answering the requests in flight.
        var roles: [any Service] = [
            IngesterService(
                ingester: ingester, policy: policy, grace: grace, interval: interval, flushOnShutdown: flushOnShutdown, logger: logger),
            CompactorService(ingester: ingester, policy: compaction, interval: interval, logger: logger),
        ]
        if ingester.shipper != nil { roles.append(BucketCatalog(ingester, role: .ingester, interval: interval, logger: logger)) }
        try await Self.runGroup(roles + KilnApplication.build(config: config, logger: logger, ingester: ingester, metrics: registry), logger: logger)
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

    /// A querier: no WAL, no blocks of its own; the bucket's blocks listed
    /// at start (queries answer 503 until then) and again every
    /// --head.check-interval, the heads asked of --querier.ingesters per query.
    func runQuerier(config: ServerConfig, registry: PrometheusCollectorRegistry, logger: Logger) async throws {
        guard let store = try objectStore() else {
            throw ValidationError("--target=querier needs a bucket: --storage.backend=s3 or --storage.filesystem.dir")
        }
        let reader: Ingester
        do {
            reader = Ingester(readingBucket: store, cache: try ObjectCache(directory: storagePath + "/cache", options: try cacheOptions()))
        } catch {
            logger.critical("cannot open the cache in \(storagePath)/cache: \(error)")
            throw ExitCode(1)
        }
        for address in config.ingesters { logger.info("asking ingester for heads", metadata: ["address": "\(ServerConfig.redacted(address))"]) }
        do { try await reader.refreshBucket(logger: logger) } catch {
            logger.error(
                "cannot list the bucket's blocks; retrying in the background (queries answer 503 until then)", metadata: ["error": "\(error)"])
        }
        reader.recordGauges()
        let catalog = BucketCatalog(reader, role: .querier, interval: .seconds(headCheckIntervalSeconds), logger: logger)
        try await Self.runGroup(
            [catalog] + KilnApplication.build(config: config, logger: logger, ingester: reader, metrics: registry), logger: logger)
        logger.info("stopped")
    }
}
