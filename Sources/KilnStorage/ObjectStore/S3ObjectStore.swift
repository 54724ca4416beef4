import Foundation
import KilnCurl
import Metrics

/// An S3-compatible bucket over libcurl, signed with SigV4 by libcurl itself.
///
/// Requests are canonical as libcurl signs them verbatim: query parameters
/// sorted and percent-encoded, `uploads=` for the valueless one, and
/// `x-amz-content-sha256: UNSIGNED-PAYLOAD` on every request (libcurl 7.88
/// does not add it). 5xx, 429, timeouts and dropped connections are retried
/// with exponential backoff and full jitter; other statuses are answered at
/// once. Blocking libcurl calls run on their own threads, not the caller's
/// executor.
public final class S3ObjectStore: ObjectStore {
    public let config: S3Config
    private let sign: HTTPClient.SigV4

    static let requests = Counter(label: "kiln_objstore_requests_total")
    static let failures = Counter(label: "kiln_objstore_failures_total")
    static let retries = Counter(label: "kiln_objstore_retries_total")
    static let latency = Timer(label: "kiln_objstore_request_duration_seconds")

    public init(_ config: S3Config) {
        self.config = config
        sign = HTTPClient.SigV4(region: config.region, accessKey: config.accessKey, secretKey: config.secretKey)
    }

    // MARK: - URLs

    /// Percent-encodes per RFC 3986 (unreserved characters kept), as SigV4 requires.
    static func encode(_ s: String, keepSlash: Bool = false) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(b)))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    /// The URL of `key` (or of the bucket when nil) with a canonical query.
    func url(_ key: String?, query: [(String, String)] = []) -> String {
        let path = key.map { "/" + Self.encode(config.prefix + $0, keepSlash: true) } ?? "/"
        var base: String
        if config.pathStyle {
            base = config.endpoint + "/" + config.bucket + (key == nil ? "" : path)
        } else {
            let parts = config.endpoint.components(separatedBy: "://")
            base = parts.count == 2 ? "\(parts[0])://\(config.bucket).\(parts[1])\(path)" : config.endpoint + path
        }
        guard !query.isEmpty else { return base }
        let sorted = query.map { (Self.encode($0.0), Self.encode($0.1)) }.sorted { $0.0 < $1.0 }
        return base + "?" + sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    // MARK: - Requests

    /// Runs one request with retries; returns the last response or throws `.unreachable`.
    func send(_ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [], body: [UInt8]? = nil) async throws
        -> HTTPResponse
    {
        let url = url(key, query: query)
        let all = headers + [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]
        var attempt = 0
        while true {
            let started = DispatchTime.now().uptimeNanoseconds
            Self.requests.increment()
            let result: Result<HTTPResponse, any Error>
            do {
                result = .success(
                    try await HTTPClient.send(
                        method, url, headers: all, body: body, timeoutMs: config.timeoutMs, connectTimeoutMs: config.connectTimeoutMs, sign: sign))
            } catch is CancellationError {
                throw CancellationError()  // the caller gave up: no retry, no failure
            } catch {
                result = .failure(error)
            }
            Self.latency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
            let retryable: Bool
            switch result {
            case .success(let r): retryable = r.status >= 500 || r.status == 429
            case .failure: retryable = true
            }
            if !retryable || attempt >= config.maxRetries {
                switch result {
                case .success(let r):
                    if r.status >= 400 && r.status != 404 && r.status != 416 { Self.failures.increment() }
                    return r
                case .failure(let e):
                    Self.failures.increment()
                    throw ObjectStoreError(.unreachable, key: key ?? "", "\(method) \(url): \(e) (after \(attempt + 1) attempts)")
                }
            }
            attempt += 1
            Self.retries.increment()
            let cap = min(config.maxBackoffMs, config.baseBackoffMs << min(attempt, 20))
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...max(cap, 1))))
        }
    }

    func failure(_ r: HTTPResponse, _ key: String, _ what: String) -> ObjectStoreError {
        let code = S3XML.value("Code", in: r.text) ?? ""
        let message = S3XML.value("Message", in: r.text) ?? ""
        switch r.status {
        case 404: return ObjectStoreError(.notFound, key: key, "not found")
        case 416: return ObjectStoreError(.invalidRange, key: key, "\(what): range not satisfiable")
        default: return ObjectStoreError(.http(r.status), key: key, "\(what): HTTP \(r.status) \(code) \(message)")
        }
    }

    // MARK: - ObjectStore

    public func get(_ key: String) async throws -> [UInt8] {
        try ObjectStoreError.validate(key)
        let r = try await send("GET", key: key)
        guard r.status == 200 else { throw failure(r, key, "GET") }
        return r.body
    }

    public func get(_ key: String, range: Range<Int>) async throws -> [UInt8] {
        try ObjectStoreError.validate(key)
        guard !range.isEmpty else {
            // S3 has no empty range: check the start against the size instead.
            guard let size = try await size(key) else { throw ObjectStoreError(.notFound, key: key, "not found") }
            guard range.lowerBound <= size else {
                throw ObjectStoreError(.invalidRange, key: key, "range \(range) starts past the end (\(size) bytes)")
            }
            return []
        }
        let r = try await send("GET", key: key, headers: [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")])
        switch r.status {
        case 206, 200:
            return r.status == 206 ? r.body : Array(r.body[range.clamped(to: 0..<r.body.count)])
        case 416:
            // Starting exactly at the end is an empty read, not an error.
            if let size = try await size(key), range.lowerBound == size { return [] }
            throw failure(r, key, "GET range")
        default:
            throw failure(r, key, "GET range")
        }
    }

    public func put(_ key: String, _ bytes: [UInt8]) async throws {
        try ObjectStoreError.validate(key)
        if bytes.count >= config.multipartThreshold { return try await putMultipart(key, bytes) }
        let r = try await send("PUT", key: key, headers: [("Content-Type", "application/octet-stream")], body: bytes)
        guard r.status == 200 else { throw failure(r, key, "PUT") }
    }

    /// CreateMultipartUpload, UploadPart × n, CompleteMultipartUpload; aborted on failure.
    func putMultipart(_ key: String, _ bytes: [UInt8]) async throws {
        let created = try await send("POST", key: key, query: [("uploads", "")], headers: [("Content-Type", "application/octet-stream")], body: [])
        guard created.status == 200, let uploadID = S3XML.value("UploadId", in: created.text) else {
            throw failure(created, key, "CreateMultipartUpload")
        }
        do {
            var etags: [String] = []
            let partSize = max(config.partSize, 5 << 20)
            var offset = 0
            while offset < bytes.count {
                let part = Array(bytes[offset..<min(offset + partSize, bytes.count)])
                let r = try await send(
                    "PUT", key: key, query: [("partNumber", "\(etags.count + 1)"), ("uploadId", uploadID)],
                    headers: [("Content-Type", "application/octet-stream")], body: part)
                guard r.status == 200, let etag = r.header("ETag") else { throw failure(r, key, "UploadPart \(etags.count + 1)") }
                etags.append(etag)
                offset += part.count
            }
            let xml =
                "<CompleteMultipartUpload>"
                + etags.enumerated().map {
                    "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3XML.escape($0.element))</ETag></Part>"
                }.joined() + "</CompleteMultipartUpload>"
            let done = try await send(
                "POST", key: key, query: [("uploadId", uploadID)], headers: [("Content-Type", "application/xml")], body: Array(xml.utf8))
            // S3 may answer 200 with an error document for Complete.
            guard done.status == 200, S3XML.value("Code", in: done.text) == nil else { throw failure(done, key, "CompleteMultipartUpload") }
        } catch {
            _ = try? await send("DELETE", key: key, query: [("uploadId", uploadID)])
            throw error
        }
    }

    public func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing {
        var query = [("list-type", "2"), ("max-keys", "\(max(1, min(limit, 1000)))"), ("prefix", config.prefix + prefix)]
        if let continuation { query.append(("continuation-token", continuation)) }
        let r = try await send("GET", key: nil, query: query)
        guard r.status == 200 else { throw failure(r, prefix, "ListObjectsV2") }
        let objects = S3XML.listedObjects(r.text).map { ObjectInfo(key: String($0.key.dropFirst(config.prefix.count)), size: $0.size) }
        let truncated = S3XML.value("IsTruncated", in: r.text) == "true"
        return ObjectListing(objects: objects, continuation: truncated ? S3XML.value("NextContinuationToken", in: r.text) : nil)
    }

    public func delete(_ key: String) async throws {
        try ObjectStoreError.validate(key)
        let r = try await send("DELETE", key: key)
        guard r.status == 204 || r.status == 200 || r.status == 404 else { throw failure(r, key, "DELETE") }
    }

    public func size(_ key: String) async throws -> Int? {
        try ObjectStoreError.validate(key)
        let r = try await send("HEAD", key: key)
        if r.status == 404 { return nil }
        guard r.status == 200, let length = r.header("Content-Length").flatMap({ Int($0) }) else { throw failure(r, key, "HEAD") }
        return length
    }
}
