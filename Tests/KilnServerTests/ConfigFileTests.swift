import Foundation
import KilnTestSupport
import Testing

/// `kiln --config.file`: the documented example is valid, and a bad file
/// stops the daemon at start naming the file, the key and the reason.
@Suite struct ConfigFileTests {
    static func kiln(_ yaml: String, _ extra: [String] = []) throws -> Subprocess.Result {
        let path = NSTemporaryDirectory() + "kiln-config-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try Subprocess.run([KilnServerProcess.binaryURL.path, "--config.file", path] + extra, timeoutSeconds: 30)
    }

    /// Every key of docs/configuration.md's example names a flag and every value parses.
    @Test func theDocumentedExampleIsValid() throws {
        let doc = try String(contentsOf: TestData.root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "```yaml\n"))
        let end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        let example = String(doc[start.upperBound..<end.lowerBound])
        #expect(example.contains("backend: s3"))
        let r = try Self.kiln(example, ["--help"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }

    @Test func anUnknownKeyIsNamed() throws {
        let r = try Self.kiln("storage:\n  s3:\n    bukket: profiles\n")
        #expect(r.status == 64 && r.stderr.contains("unknown key storage.s3.bukket"), "\(r.status) \(r.stderr)")
    }

    @Test func aBadValueNamesItsKey() throws {
        let port = try Self.kiln("server:\n  http_listen_port: abc\n")
        #expect(port.status == 64 && port.stderr.contains("key server.http_listen_port"), "\(port.stderr)")
        let size = try Self.kiln("storage:\n  cache:\n    size: 12XB\n")
        #expect(size.status == 64 && size.stderr.contains("key storage.cache.size") && size.stderr.contains("not a size"), "\(size.stderr)")
        let yaml = try Self.kiln("storage: [unclosed\n")
        #expect(yaml.status == 64 && yaml.stderr.contains("not valid YAML"), "\(yaml.stderr)")
    }

    /// A flag on the command line overrides the file.
    @Test func flagsOverrideTheFile() throws {
        // Validation checks the backend before the cache size: the file's bad
        // backend would be reported first had the flag not replaced it.
        let r = try Self.kiln("storage:\n  backend: nope\n", ["--storage.backend", "filesystem", "--storage.cache.size", "12XB"])
        #expect(r.status == 64 && r.stderr.contains("12XB") && !r.stderr.contains("nope"), "\(r.stderr)")
    }
}
