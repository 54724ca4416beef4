#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A failed file-system operation: what, on which path, and the OS's reason.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let reason: String

    public init(_ operation: String, path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.reason = reason
    }

    /// From the current `errno`.
    static func errno(_ operation: String, path: String) -> StorageError {
        StorageError(operation, path: path, reason: String(cString: strerror(Glibc.errno)))
    }

    public var description: String { "\(operation) \(path): \(reason)" }
}
