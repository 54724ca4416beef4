import Foundation
import KilnCurl

/// The real `kiln` binary, started on a free loopback port for a test and
/// stopped when the test ends.
public final class KilnServerProcess: @unchecked Sendable {
    // @unchecked: `process` is set once in init and only read afterwards;
    // Process itself is thread-safe for terminate/isRunning.
    public let port: Int
    public let baseURL: String
    /// The server's --storage.path.
    public let dataDirectory: URL
    private let ownsDataDirectory: Bool
    private let process: Process
    private let logURL: URL

    /// The `kiln` binary (see `BuildProducts`), or `$KILN_BINARY`.
    public static var binaryURL: URL {
        if let path = ProcessInfo.processInfo.environment["KILN_BINARY"] { return URL(fileURLWithPath: path) }
        return BuildProducts.url("kiln")
    }

    /// Starts `kiln` with `arguments` and waits until `/ready` answers.
    /// - Parameter dataDirectory: the storage path to use (and keep); a fresh
    ///   temporary one, removed when the server is released, when nil.
    /// - Parameter port: the port to listen on (a restart at the same
    ///   address); a free one when nil.
    /// - Parameter waitUntilReady: false returns once the process runs (for
    ///   a start that is expected to wait).
    public init(arguments: [String] = [], dataDirectory: URL? = nil, port: Int? = nil, waitUntilReady: Bool = true) throws {
        let port = try port ?? FreePort.find()
        self.port = port
        if let dataDirectory {
            self.dataDirectory = dataDirectory
            ownsDataDirectory = false
        } else {
            self.dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-data-\(UUID().uuidString)")
            ownsDataDirectory = true
        }
        self.baseURL = "http://127.0.0.1:\(port)"
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-test-\(port)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process = Process()
        process.executableURL = Self.binaryURL
        process.arguments =
            [
                "--server.http-listen-address", "127.0.0.1", "--server.http-listen-port", "\(port)",
                "--storage.path", self.dataDirectory.path,
            ] + arguments
        process.standardOutput = log
        process.standardError = log
        try process.run()
        guard waitUntilReady else { return }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !process.isRunning { throw SubprocessError(message: "kiln exited at start-up:\n\(self.log)") }
            if let r = try? HTTPClient.request("GET", baseURL + "/ready", timeoutMs: 1000), r.status == 200 { return }
            usleep(50_000)
        }
        process.terminate()
        throw SubprocessError(message: "kiln did not become ready in 30 s:\n\(self.log)")
    }

    deinit {
        stop()
        if ownsDataDirectory { try? FileManager.default.removeItem(at: dataDirectory) }
        try? FileManager.default.removeItem(at: logURL)
    }

    public var isRunning: Bool { process.isRunning }

    /// What the server logged so far.
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Stops the server gracefully (SIGTERM) and waits for it.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Kills the server with SIGKILL — a crash — and waits for it.
    public func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    public var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Whether the server exited by itself (`exit`), not by an uncaught signal.
    public var exitedNormally: Bool { !process.isRunning && process.terminationReason == .exit }

    /// POSTs to `path` on this server.
    public func post(_ path: String, headers: [(String, String)] = [], body: [UInt8]) throws -> HTTPResponse {
        try HTTPClient.request("POST", baseURL + path, headers: headers, body: body)
    }

    public func get(_ path: String, headers: [(String, String)] = []) throws -> HTTPResponse {
        try HTTPClient.request("GET", baseURL + path, headers: headers)
    }
}

/// Finds a free TCP port on 127.0.0.1 by binding port 0 and reading back what
/// the kernel chose. The port is released before use, so another process could
/// take it in between; on loopback in a test run that race is negligible.
public enum FreePort {
    public static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SubprocessError(message: "socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bind(fd, sa, len) == 0 && getsockname(fd, sa, &len) == 0
            }
        }
        guard ok else { throw SubprocessError(message: "bind() to 127.0.0.1:0 failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port` within
    /// `seconds` (polled every 50 ms): for helper servers that print no "ready".
    public static func waitUntilListening(_ port: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = UInt16(port).bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if connected { return true }
            usleep(50_000)
        }
        return false
    }
}

/// The package's executables, found next to the test bundle in the build
/// directory (`swift build` puts products and test bundles in one folder).
public enum BuildProducts {
    public static func url(_ name: String) -> URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent(name)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), !isDir.boolValue { return candidate }
            dir.deleteLastPathComponent()
        }
        return TestData.root.appendingPathComponent(".build/debug/\(name)")
    }
}
