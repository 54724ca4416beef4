import Glibc

/// A failed file-system operation: what, on which path, and the OS's reason.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let reason: String
    /// The `errno` of a failed system call, when that is what failed.
    public let code: Int32?

    public init(_ operation: String, path: String, reason: String, code: Int32? = nil) {
        self.operation = operation
        self.path = path
        self.reason = reason
        self.code = code
    }

    /// From the current `errno`.
    static func errno(_ operation: String, path: String) -> StorageError {
        let code = Glibc.errno
        return StorageError(operation, path: path, reason: String(cString: strerror(code)), code: code)
    }

    public var description: String { "\(operation) \(path): \(reason)" }
}
