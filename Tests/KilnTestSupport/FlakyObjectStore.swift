import KilnStorage
import Synchronization

/// An object store in front of another that counts reads and can be made
/// unreachable: for tests of what callers do when a bucket fails.
public final class FlakyObjectStore: ObjectStore {
    public struct Counts: Sendable, Equatable {
        public var gets = 0
        public var rangedGets = 0
        public var bytesRead = 0
    }

    public let inner: any ObjectStore
    private let state = Mutex((failing: false, counts: Counts()))

    public init(_ inner: any ObjectStore) { self.inner = inner }

    /// While true, every call fails with `.unreachable`, as after the store's retries.
    public var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }

    public var counts: Counts { state.withLock { $0.counts } }

    private func check(_ key: String) throws {
        if failing { throw ObjectStoreError(.unreachable, key: key, "connection refused (injected)") }
    }

    public func get(_ key: String) async throws -> [UInt8] {
        try check(key)
        let bytes = try await inner.get(key)
        state.withLock {
            $0.counts.gets += 1
            $0.counts.bytesRead += bytes.count
        }
        return bytes
    }

    public func get(_ key: String, range: Range<Int>) async throws -> [UInt8] {
        try check(key)
        let bytes = try await inner.get(key, range: range)
        state.withLock {
            $0.counts.rangedGets += 1
            $0.counts.bytesRead += bytes.count
        }
        return bytes
    }

    public func put(_ key: String, _ bytes: [UInt8]) async throws {
        try check(key)
        try await inner.put(key, bytes)
    }

    public func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing {
        try check(prefix)
        return try await inner.list(prefix: prefix, continuation: continuation, limit: limit)
    }

    public func delete(_ key: String) async throws {
        try check(key)
        try await inner.delete(key)
    }

    public func size(_ key: String) async throws -> Int? {
        try check(key)
        return try await inner.size(key)
    }
}
