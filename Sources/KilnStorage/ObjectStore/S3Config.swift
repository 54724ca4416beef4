import Foundation

/// Where and how to reach an S3-compatible bucket.
public struct S3Config: Sendable {
    /// Scheme, host and port, e.g. `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`.
    public var endpoint: String
    public var region: String
    public var bucket: String
    /// Prepended to every key (e.g. `kiln/`), so several deployments can share a bucket.
    public var prefix: String
    public var accessKey: String
    public var secretKey: String
    /// `endpoint/bucket/key` (MinIO, moto, most S3-compatibles) instead of `bucket.endpoint/key` (AWS's default).
    public var pathStyle: Bool
    public var timeoutMs = 30_000
    public var connectTimeoutMs = 5_000
    /// Attempts after the first for 5xx, 429, timeouts and dropped connections.
    public var maxRetries = 5
    /// Backoff before retry n is uniform in [0, min(maxBackoff, base · 2ⁿ)] ("full jitter").
    public var baseBackoffMs = 100
    public var maxBackoffMs = 5_000
    /// Objects from this size on are uploaded in parts.
    public var multipartThreshold = 64 << 20
    /// Part size of multipart uploads; S3 requires at least 5 MiB for all parts but the last.
    public var partSize = 16 << 20

    public init(endpoint: String, region: String, bucket: String, prefix: String = "", accessKey: String, secretKey: String, pathStyle: Bool = true) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.region = region
        self.bucket = bucket
        self.prefix = prefix
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.pathStyle = pathStyle
    }

    /// Credentials and region from the usual AWS variables when not given:
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION` or `AWS_DEFAULT_REGION`.
    public static func credentialsFromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment)
        -> (accessKey: String?, secretKey: String?, region: String?)
    {
        (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"])
    }
}
