import Foundation
import KilnTestSupport
import SwiftProtobuf

/// Unary calls over native gRPC (HTTP/2) made by the real `grpcio` client
/// (tools/e2e/grpc_call.py): the test builds and reads the messages with
/// Kiln's generated types; grpcio does the transport, framing, metadata and
/// status.
enum GRPCCalls {
    struct Call {
        var method: String
        var request: [UInt8]
        var metadata: [(String, String)]

        init(_ method: String, _ request: some SwiftProtobuf.Message, metadata: [(String, String)] = []) throws {
            self.method = method
            self.request = try request.serializedBytes()
            self.metadata = metadata
        }

        init(_ method: String, bytes: [UInt8], metadata: [(String, String)] = []) {
            self.method = method
            self.request = bytes
            self.metadata = metadata
        }
    }

    struct Reply: CustomStringConvertible {
        /// The gRPC status name as grpcio reports it (`OK`, `INVALID_ARGUMENT`, …).
        var code: String
        var details: String
        var response: [UInt8]

        func message<M: SwiftProtobuf.Message>(_: M.Type) throws -> M { try M(serializedBytes: response) }
        var description: String { "\(code) \(details) (\(response.count) bytes)" }
    }

    /// Makes `calls` in order over one channel to 127.0.0.1:`port`.
    static func run(port: Int, _ calls: [Call]) throws -> [Reply] {
        let lines = try calls.map { call -> String in
            let object: [String: Any] = [
                "method": call.method, "request": Data(call.request).base64EncodedString(), "metadata": call.metadata.map { [$0.0, $0.1] },
            ]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let script = TestData.root.appendingPathComponent("tools/e2e/grpc_call.py").path
        let r = try Subprocess.run(
            [PythonEnvironment.python, script, "127.0.0.1:\(port)"], stdin: Array((lines.joined(separator: "\n") + "\n").utf8), timeoutSeconds: 120)
        guard r.status == 0 else { throw SubprocessError(message: "grpc_call.py failed: \(r.stderr)") }
        return try r.stdout.split(separator: "\n").map { line in
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], let code = o["code"],
                let response = Data(base64Encoded: o["response"] ?? "")
            else { throw SubprocessError(message: "grpc_call.py printed \(line)") }
            return Reply(code: code, details: o["details"] ?? "", response: [UInt8](response))
        }
    }
}
