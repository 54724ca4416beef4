import CCurl

/// Process-wide libcurl set-up and error checking.
enum Curl {
    /// `curl_global_init` must run once before any handle exists, and is not
    /// thread-safe itself: a `static let` runs it exactly once, atomically.
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    static func globalInit() { _ = initialized }

    static func check(_ code: CURLcode, _ operation: String) throws {
        guard code != CURLE_OK else { return }
        throw CurlError(operation: operation, code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
    }

    /// Percent-encodes `s` with libcurl (RFC 3986 unreserved characters kept).
    static func escape(_ s: String) -> String? {
        globalInit()
        guard let handle = curl_easy_init() else { return nil }
        defer { curl_easy_cleanup(handle) }
        guard let out = curl_easy_escape(handle, s, Int32(s.utf8.count)) else { return nil }
        defer { curl_free(out) }
        return String(cString: out)
    }
}

/// Public percent-encoding helpers backed by libcurl.
public enum URLEncoding {
    public static func escape(_ s: String) -> String? { Curl.escape(s) }

    public static func unescape(_ s: String) -> String? {
        Curl.globalInit()
        guard let handle = curl_easy_init() else { return nil }
        defer { curl_easy_cleanup(handle) }
        var length: Int32 = 0
        guard let out = curl_easy_unescape(handle, s, Int32(s.utf8.count), &length) else { return nil }
        defer { curl_free(out) }
        return String(decoding: UnsafeRawBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }
}
