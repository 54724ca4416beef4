import Foundation
import KilnCurl
import KilnTestSupport
import Testing

@Suite struct CurlTests {
    /// A byte-exact round trip through libcurl with no network: write a file,
    /// read it back through a file:// URL.
    @Test func fileURLRoundTrip() throws {
        let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-curl-\(UUID().uuidString).bin")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let response = try HTTPClient.request("GET", url.absoluteString)
        #expect(response.body == bytes)
    }

    @Test func percentEncodingRoundTrip() throws {
        let s = "name=app.cpu{env=prod, region=eu/1}&ü"
        let escaped = try #require(URLEncoding.escape(s))
        #expect(!escaped.contains("{") && !escaped.contains(" ") && !escaped.contains("&"))
        #expect(URLEncoding.unescape(escaped) == s)
    }

    @Test func connectionRefusedIsAnError() throws {
        let port = try FreePort.find()
        #expect(throws: CurlError.self) { try HTTPClient.request("GET", "http://127.0.0.1:\(port)/", timeoutMs: 2000) }
    }
}
