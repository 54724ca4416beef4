import Foundation

/// A `moto_server` (pip `moto[server]`, from the project's Python environment) on 127.0.0.1 for S3 tests, started
/// per test and stopped with it. `checkSignatures` turns on moto's SigV4
/// checking with an IAM user and key made by tools/e2e/moto_s3.py, so a
/// request signed wrongly gets 403.
public final class MotoServer: @unchecked Sendable {
    // @unchecked: `process` is set once in init and only read afterwards.
    public let port: Int
    public let endpoint: String
    public let bucket = "kiln-test"
    public let accessKey: String
    public let secretKey: String
    private let process: Process

    public init(checkSignatures: Bool) throws {
        port = try FreePort.find()
        endpoint = "http://127.0.0.1:\(port)"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [PythonEnvironment.program("moto_server"), "-H", "127.0.0.1", "-p", "\(port)"]
        var env = ProcessInfo.processInfo.environment
        if checkSignatures { env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3" }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        // Ready when it accepts connections (moto starts in well under a second).
        guard FreePort.waitUntilListening(port, seconds: 20) else {
            kill(p.processIdentifier, SIGKILL)
            throw SubprocessError(message: "moto_server did not start on port \(port)")
        }
        let script = TestData.root.appendingPathComponent("tools/e2e/moto_s3.py").path
        let setup = try Subprocess.run([PythonEnvironment.python, script, endpoint, checkSignatures ? "1" : "0", bucket], timeoutSeconds: 60)
        let keys = setup.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard setup.status == 0, keys.count == 2 else {
            kill(p.processIdentifier, SIGKILL)
            throw SubprocessError(message: "moto set-up failed: \(setup.stderr)")
        }
        accessKey = keys[0]
        secretKey = keys[1]
    }

    /// SIGKILL: moto's server ignores SIGTERM (waiting for it would hang).
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
