/// A bucket of immutable-by-convention objects: what blocks are shipped to
/// and read back from. Providers: `FileSystemObjectStore` (the embedded
/// default), `MemoryObjectStore` (tests), S3 (over libcurl).
///
/// Contract (checked by the conformance suite every provider runs):
/// - `put` replaces the whole object atomically: a reader sees the old or the
///   new bytes, never a mix, and a repeated `put` of the same bytes is harmless;
/// - `get` of a missing key throws `.notFound`; a ranged `get` returns the
///   bytes of `range` clamped at the object's end, and `.invalidRange` when
///   the range starts past it;
/// - `list` returns keys with the prefix in ascending byte order, at most
///   `limit` per page, and a continuation token while more remain;
/// - `delete` of a missing key succeeds (as S3's does);
/// - `size` is nil for a missing key.
public protocol ObjectStore: Sendable {
    func get(_ key: String) async throws -> [UInt8]
    func get(_ key: String, range: Range<Int>) async throws -> [UInt8]
    func put(_ key: String, _ bytes: [UInt8]) async throws
    func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing
    func delete(_ key: String) async throws
    func size(_ key: String) async throws -> Int?
}

/// One page of a listing.
public struct ObjectListing: Sendable, Equatable {
    public var objects: [ObjectInfo]
    /// Pass to the next `list` call; nil on the last page.
    public var continuation: String?

    public init(objects: [ObjectInfo], continuation: String?) {
        self.objects = objects
        self.continuation = continuation
    }
}

public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int

    public init(key: String, size: Int) {
        self.key = key
        self.size = size
    }

    /// S3's listing order: keys compared as UTF-8 bytes.
    public static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}

extension ObjectStore {
    /// Every key under `prefix`, following continuations.
    public func listAll(prefix: String, pageSize: Int = 1000) async throws -> [ObjectInfo] {
        var out: [ObjectInfo] = []
        var token: String?
        repeat {
            let page = try await list(prefix: prefix, continuation: token, limit: pageSize)
            out += page.objects
            token = page.continuation
        } while token != nil
        return out
    }
}

/// An object-store failure: what, on which key, and why.
public struct ObjectStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case notFound
        case invalidKey
        case invalidRange
        /// A local I/O failure (filesystem provider).
        case io
        /// The remote store answered with this HTTP status, after retries where they apply.
        case http(Int)
        /// The remote store could not be reached (connection, timeout), after retries.
        case unreachable
    }

    public let kind: Kind
    public let key: String
    public let reason: String

    public init(_ kind: Kind, key: String, _ reason: String) {
        self.kind = kind
        self.key = key
        self.reason = reason
    }

    public var description: String { "object \(key): \(reason)" }

    /// Keys are relative paths of non-empty segments without `.` or `..`:
    /// the same key works as a file path and as an S3 key.
    public static func validate(_ key: String) throws(ObjectStoreError) {
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, key.utf8.count <= 1024,
            segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
            key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
        else {
            throw ObjectStoreError(
                .invalidKey, key: key, "invalid key: want non-empty '/'-separated segments, no '.' or '..', no control characters, at most 1024 bytes"
            )
        }
    }
}
