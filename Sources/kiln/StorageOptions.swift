import ArgumentParser
import Foundation
import KilnStorage

/// Where Kiln keeps its data: the data directory (WAL, local blocks, cache)
/// and the bucket blocks are shipped to (S3, or a directory), with its cache.
struct StorageOptions: ParsableArguments {
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

    func validate() throws {
        _ = try objectStore()
        _ = try cacheOptions()
        _ = try uploadGrace()
    }

    /// Where tenant settings live: the bucket, so every querier reads the same; without one, the data directory
    /// (`<storage.path>/_settings/<tenant>.json`).
    func settingsStore() throws -> any ObjectStore {
        if let bucket = try objectStore() { return bucket }
        do { return try FileSystemObjectStore(root: storagePath) } catch { throw ValidationError("--storage.path: \(error)") }
    }

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

    func cacheOptions() throws -> ObjectCache.Options {
        ObjectCache.Options(
            capacityBytes: try FlagValue.bytes(cacheSize, flag: "--storage.cache.size"),
            memoryBytes: try FlagValue.bytes(cacheMemory, flag: "--storage.cache.memory"))
    }

    /// How long a shipped block stays on local disk.
    func uploadGrace() throws -> Duration {
        .nanoseconds(try FlagValue.duration(uploadGracePeriod, flag: "--storage.upload-grace-period"))
    }
}
