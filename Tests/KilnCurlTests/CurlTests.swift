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

    /// A server that accepts and never answers: cancelling the awaiting task
    /// aborts the transfer (before its timeout, which would be a `CurlError`).
    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        #expect(bound && listen(fd, 4) == 0)  // the kernel completes the connection; nobody reads or answers
        let url = "http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/"
        let transfer = Task { try await HTTPClient.send("GET", url, timeoutMs: 60_000) }
        try await Task.sleep(for: .milliseconds(300))
        transfer.cancel()
        // Not the timeout's CurlError: libcurl's progress call saw the cancellation.
        await #expect(throws: CancellationError.self) { try await transfer.value }
    }
}
