import Foundation
import KilnTestSupport
import Testing

/// A bad `overrides:` section in the config file stops the binary before
/// it serves, exit 64 and the key named (the limits themselves: `LimitsTests`).
@Suite struct LimitsEndToEndTests {
    @Test func aBadOverrideStopsTheStartNamingItsKey() throws {
        let path = NSTemporaryDirectory() + "kiln-overrides-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "overrides:\n  t1:\n    ingestion_rate_mbb: 3\n".write(toFile: path, atomically: true, encoding: .utf8)
        var r = try Subprocess.run([KilnServerProcess.binaryURL.path, "--config.file", path, "--help"], timeoutSeconds: 30)
        #expect(r.status == 64 && r.stderr.contains("unknown key overrides.t1.ingestion_rate_mbb"), "\(r.stderr)")
        try "overrides:\n  t1:\n    max_query_length: soon\n".write(toFile: path, atomically: true, encoding: .utf8)
        r = try Subprocess.run([KilnServerProcess.binaryURL.path, "--config.file", path, "--help"], timeoutSeconds: 30)
        #expect(r.status == 64 && r.stderr.contains("key overrides.t1.max_query_length"), "\(r.stderr)")
    }
}
