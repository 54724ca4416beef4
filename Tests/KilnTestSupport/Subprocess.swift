import Foundation

/// Runs helper programs (python, go) for tests.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `arguments` (looked up on PATH) to completion with a time limit.
    public static func run(
        _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
        workingDirectory: String? = nil, timeoutSeconds: Double = 120
    ) throws -> Result {
        let p = Process()
        if let workingDirectory { p.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try input.fileHandleForWriting.close()
        // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
        let outData = Box<Data>()
        let errData = Box<Data>()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outData.value = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData.value = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            group.wait()
            throw SubprocessError(
                message:
                    "\(arguments.joined(separator: " ")) timed out after \(timeoutSeconds) s; stderr: \(String(decoding: errData.value ?? Data(), as: UTF8.self))"
            )
        }
        p.waitUntilExit()
        group.wait()
        return Result(
            status: p.terminationStatus,
            stdout: String(decoding: outData.value ?? Data(), as: UTF8.self),
            stderr: String(decoding: errData.value ?? Data(), as: UTF8.self))
    }
}

public struct SubprocessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// A mutable cell handed to exactly one background reader and read only after
/// `DispatchGroup.wait()`, which orders the write before the read.
final class Box<T>: @unchecked Sendable {
    var value: T?
}
