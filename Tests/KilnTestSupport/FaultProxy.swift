import Foundation

/// tools/e2e/fault_proxy.py on 127.0.0.1 in front of `upstream`: answers
/// the first requests per `schedule` (`500`, `503`, `drop`, `stall`,
/// `pass`), then forwards everything unchanged.
public final class FaultProxy: @unchecked Sendable {
    // @unchecked: `process` is set once in init and only read afterwards.
    public let port: Int
    public let endpoint: String
    private let process: Process

    public init(upstream: String, schedule: [String]) throws {
        port = try FreePort.find()
        endpoint = "http://127.0.0.1:\(port)"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            PythonEnvironment.python, TestData.root.appendingPathComponent("tools/e2e/fault_proxy.py").path, "\(port)", upstream,
            schedule.joined(separator: ","),
        ]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        if FreePort.waitUntilListening(port, seconds: 10) { return }
        kill(p.processIdentifier, SIGKILL)
        throw SubprocessError(message: "fault proxy did not start on port \(port)")
    }

    /// Requests the proxy has seen (faulted or forwarded).
    public func requestsSeen() throws -> Int {
        let r = try Subprocess.run([
            PythonEnvironment.python, "-c", "import urllib.request; print(urllib.request.urlopen('\(endpoint)/__faults').read().decode())",
        ])
        return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Applies `action` (`503`, `drop`, …) to every request from now on; `pass` ends the outage.
    public func setMode(_ action: String) throws {
        _ = try Subprocess.run([
            PythonEnvironment.python, "-c", "import urllib.request; urllib.request.urlopen('\(endpoint)/__mode/\(action)').read()",
        ])
    }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
