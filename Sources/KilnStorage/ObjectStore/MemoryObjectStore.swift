/// Objects in a dictionary: for tests, and as the reference the conformance
/// suite's expectations are written against.
public final class MemoryObjectStore: ObjectStore {
    private let objects = LockedState([String: [UInt8]]())

    public init() {}

    public func get(_ key: String) async throws -> [UInt8] {
        try ObjectStoreError.validate(key)
        guard let bytes = objects.withLock({ $0[key] }) else { throw ObjectStoreError(.notFound, key: key, "not found") }
        return bytes
    }

    public func get(_ key: String, range: Range<Int>) async throws -> [UInt8] {
        let bytes = try await get(key)
        guard range.lowerBound <= bytes.count else {
            throw ObjectStoreError(.invalidRange, key: key, "range \(range) starts past the end (\(bytes.count) bytes)")
        }
        return Array(bytes[range.clamped(to: 0..<bytes.count)])
    }

    public func put(_ key: String, _ bytes: [UInt8]) async throws {
        try ObjectStoreError.validate(key)
        objects.withLock { $0[key] = bytes }
    }

    public func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing {
        let keys = objects.withLock { o in
            o.keys.filter { key in key.hasPrefix(prefix) && (continuation.map { ObjectInfo.precedes($0, key) } ?? true) }
                .sorted(by: ObjectInfo.precedes)
        }
        let page = keys.prefix(max(limit, 1))
        let infos = objects.withLock { o in page.map { ObjectInfo(key: $0, size: o[$0]?.count ?? 0) } }
        return ObjectListing(objects: infos, continuation: keys.count > page.count ? page.last : nil)
    }

    public func delete(_ key: String) async throws {
        try ObjectStoreError.validate(key)
        _ = objects.withLock { $0.removeValue(forKey: key) }
    }

    public func size(_ key: String) async throws -> Int? {
        try ObjectStoreError.validate(key)
        return objects.withLock { $0[key]?.count }
    }
}
