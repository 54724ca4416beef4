import CCurl
import Dispatch
import Synchronization

/// An HTTP response as received.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header lines in arrival order (names as sent).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// An HTTP/1.1 client over libcurl's easy interface: one handle per request,
/// no shared state. It is the project's HTTP client: `send` for async code
/// (S3, the ingester client, the scraper), `request` where blocking is fine
/// (tests, tools).
public enum HTTPClient {
    /// Default whole-request timeout: 30 s, long enough for any local request.
    public static let defaultTimeoutMs = 30_000

    /// AWS Signature Version 4, computed by libcurl (`CURLOPT_AWS_SIGV4`).
    /// libcurl signs the query string exactly as given, so it must already be
    /// canonical (parameters sorted, values percent-encoded, `name=` for a
    /// valueless one), and it does not add `x-amz-content-sha256`: send it.
    public struct SigV4: Sendable {
        public var region: String
        public var service: String
        public var accessKey: String
        public var secretKey: String

        public init(region: String, service: String = "s3", accessKey: String, secretKey: String) {
            self.region = region
            self.service = service
            self.accessKey = accessKey
            self.secretKey = secretKey
        }
    }

    /// libcurl's easy interface blocks its thread for the whole transfer: async
    /// requests run here, off the cooperative pool, one thread each.
    private static let transfers = DispatchQueue(label: "kiln.curl", attributes: .concurrent)

    /// `request` from async code: the transfer runs on a thread of its own,
    /// and cancelling the calling task aborts it at libcurl's next progress
    /// call (several a second while it waits, so within about a second).
    /// - Throws: `CancellationError` once cancelled; otherwise as `request`.
    public static func send(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeoutMs: Int = defaultTimeoutMs, connectTimeoutMs: Int? = nil, sign: SigV4? = nil
    ) async throws -> HTTPResponse {
        let cancellation = Cancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfers.async {
                    continuation.resume(
                        with: Result {
                            try perform(
                                method, url, headers: headers, body: body, timeoutMs: timeoutMs, connectTimeoutMs: connectTimeoutMs, sign: sign,
                                cancellation: cancellation)
                        })
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Performs one request and returns the response, whatever its status,
    /// blocking the calling thread.
    /// - Parameters:
    ///   - headers: sent as given; a `Content-Type` is always sent with a body
    ///     (libcurl would otherwise default to a form content type).
    ///   - sign: sign the request with SigV4.
    /// - Throws: `CurlError` when no HTTP response arrives (connection refused, timeout…).
    public static func request(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeoutMs: Int = defaultTimeoutMs, connectTimeoutMs: Int? = nil, sign: SigV4? = nil
    ) throws -> HTTPResponse {
        try perform(
            method, url, headers: headers, body: body, timeoutMs: timeoutMs, connectTimeoutMs: connectTimeoutMs, sign: sign, cancellation: nil)
    }

    private static func perform(
        _ method: String, _ url: String, headers: [(String, String)], body: [UInt8]?,
        timeoutMs: Int, connectTimeoutMs: Int?, sign: SigV4?, cancellation: Cancellation?
    ) throws -> HTTPResponse {
        Curl.globalInit()
        guard let handle = curl_easy_init() else {
            throw CurlError(operation: "curl_easy_init", code: -1, message: "could not create a handle")
        }
        defer { curl_easy_cleanup(handle) }

        let sink = ResponseSink(cancellation: cancellation)
        var list: UnsafeMutablePointer<curl_slist>?
        var sentHeaders = headers
        if body != nil && !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
            sentHeaders.append(("Content-Type", "application/octet-stream"))
        }
        // No "Expect: 100-continue" round trip for large bodies. Signed
        // requests cannot remove the header: libcurl 7.88 signs the empty
        // "Expect:" it then does not send, and the signature fails; for them
        // the wait for "100 Continue" is cut to 1 ms instead (below).
        if sign == nil { sentHeaders.append(("Expect", "")) }
        for (name, value) in sentHeaders {
            list = curl_slist_append(list, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        defer { curl_slist_free_all(list) }

        try Curl.check(kiln_curl_setopt_string(handle, CURLOPT_URL, url), "set URL")
        try Curl.check(kiln_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method), "set method")
        try Curl.check(kiln_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "set NOSIGNAL")
        try Curl.check(kiln_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMs), "set timeout")
        try Curl.check(kiln_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, list), "set headers")
        let context = Unmanaged.passUnretained(sink).toOpaque()
        try Curl.check(kiln_curl_setopt_data_cb(handle, CURLOPT_WRITEFUNCTION, ResponseSink.writeBody), "set write callback")
        try Curl.check(kiln_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context), "set write data")
        try Curl.check(kiln_curl_setopt_data_cb(handle, CURLOPT_HEADERFUNCTION, ResponseSink.writeHeader), "set header callback")
        try Curl.check(kiln_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context), "set header data")
        if cancellation != nil {
            try Curl.check(kiln_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0), "set NOPROGRESS")
            try Curl.check(kiln_curl_setopt_xferinfo_cb(handle, CURLOPT_XFERINFOFUNCTION, ResponseSink.progress), "set progress callback")
            try Curl.check(kiln_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context), "set progress data")
        }
        if method == "HEAD" { try Curl.check(kiln_curl_setopt_long(handle, CURLOPT_NOBODY, 1), "set NOBODY") }
        if let connectTimeoutMs { try Curl.check(kiln_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMs), "set connect timeout") }
        if let sign {
            try Curl.check(kiln_curl_setopt_long(handle, CURLOPT_EXPECT_100_TIMEOUT_MS, 1), "set Expect timeout")
            try Curl.check(kiln_curl_setopt_string(handle, CURLOPT_AWS_SIGV4, "aws:amz:\(sign.region):\(sign.service)"), "set SigV4")
            try Curl.check(kiln_curl_setopt_string(handle, CURLOPT_USERNAME, sign.accessKey), "set access key")
            try Curl.check(kiln_curl_setopt_string(handle, CURLOPT_PASSWORD, sign.secretKey), "set secret key")
        }

        let code: CURLcode = try withExtendedLifetime(sink) {
            if let body {
                return try body.withUnsafeBytes { raw in
                    try Curl.check(kiln_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(raw.count)), "set body size")
                    try Curl.check(
                        kiln_curl_setopt_pointer(
                            handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!)),
                        "set body")
                    return curl_easy_perform(handle)
                }
            }
            return curl_easy_perform(handle)
        }
        if code == CURLE_ABORTED_BY_CALLBACK { throw CancellationError() }
        try Curl.check(code, "\(method) \(url)")
        var status = 0
        try Curl.check(kiln_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "read status")
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }
}

/// Set once when the task awaiting a transfer is cancelled; read by the
/// transfer's progress callback on its own thread.
final class Cancellation: Sendable {
    private let cancelled = Atomic(false)

    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// Accumulates a response from libcurl's callbacks. Owned by one request on
/// one thread for the duration of `curl_easy_perform`.
final class ResponseSink {
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    let cancellation: Cancellation?

    init(cancellation: Cancellation?) { self.cancellation = cancellation }

    /// Non-zero aborts the transfer (`CURLE_ABORTED_BY_CALLBACK`) once it is cancelled.
    static let progress: kiln_curl_xferinfo_cb = { context, _, _, _, _ in
        let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
        return sink.cancellation?.isCancelled == true ? 1 : 0
    }

    static let writeBody: kiln_curl_data_cb = { ptr, size, count, context in
        let n = size * count
        let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
        if let ptr { sink.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: n)) }
        return n
    }

    static let writeHeader: kiln_curl_data_cb = { ptr, size, count, context in
        let n = size * count
        let sink = Unmanaged<ResponseSink>.fromOpaque(context!).takeUnretainedValue()
        guard let ptr else { return n }
        var bytes = UnsafeRawBufferPointer(start: ptr, count: n)[...]
        while let last = bytes.last, last == 13 || last == 10 { bytes = bytes.dropLast() }  // CRLF
        let line = String(decoding: bytes, as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            sink.headers.removeAll()  // a new response (after a redirect or 100 Continue)
        } else if let colon = line.firstIndex(of: ":") {
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: [" ", "\t"])
            sink.headers.append((name, value))
        }
        return n
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
