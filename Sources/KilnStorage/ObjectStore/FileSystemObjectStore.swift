import Foundation
import Glibc

/// Objects as files under a root directory (the embedded default): key
/// `a/b/c` is the file `<root>/a/b/c`.
///
/// A put writes `<file>.tmp-<random>`, fsyncs it, renames it over the key's
/// file and fsyncs the directory: readers see the old or the new object
/// whole, and a crash leaves at worst a temporary file, which listing skips.
public final class FileSystemObjectStore: ObjectStore {
    public let root: String

    /// Marks a temporary file of an unfinished put.
    static let temporaryMarker = ".tmp-"

    public init(root: String) throws {
        self.root = root
        do { try FileIO.makeDirectory(root) } catch { throw ObjectStoreError(.io, key: "", "cannot create \(root): \(error)") }
    }

    private func path(_ key: String) throws(ObjectStoreError) -> String {
        try ObjectStoreError.validate(key)
        guard !key.contains(Self.temporaryMarker) else {
            throw ObjectStoreError(.invalidKey, key: key, "keys may not contain \(Self.temporaryMarker)")
        }
        return root + "/" + key
    }

    private func io<R>(_ key: String, _ body: () throws -> R) throws -> R {
        do { return try body() } catch let e as ObjectStoreError { throw e } catch let e as StorageError {
            if e.code == ENOENT || e.code == ENOTDIR {
                throw ObjectStoreError(.notFound, key: key, "not found")
            }
            throw ObjectStoreError(.io, key: key, "\(e)")
        } catch {
            throw ObjectStoreError(.io, key: key, "\(error)")
        }
    }

    public func get(_ key: String) async throws -> [UInt8] {
        let path = try path(key)
        return try io(key) { try FileIO.read(path) }
    }

    public func get(_ key: String, range: Range<Int>) async throws -> [UInt8] {
        let path = try path(key)
        return try io(key) {
            let fd = try FileIO.open(path, O_RDONLY)
            defer { close(fd) }
            let size = try FileIO.size(fd, path: path)
            guard range.lowerBound <= size else {
                throw ObjectStoreError(.invalidRange, key: key, "range \(range) starts past the end (\(size) bytes)")
            }
            return try FileIO.pread(fd, range.clamped(to: 0..<size), path: path)
        }
    }

    public func put(_ key: String, _ bytes: [UInt8]) async throws {
        let path = try path(key)
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + Self.temporaryMarker + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try io(key) {
            try FileIO.makeDirectory(directory)
            try FileIO.writeDurably(path, bytes, temporary: temporary)
        }
    }

    public func list(prefix: String, continuation: String?, limit: Int) async throws -> ObjectListing {
        // Walk only the directory the prefix names: "a/b/c" lists under <root>/a/b for names starting "c".
        let slash = prefix.lastIndex(of: "/")
        let base = slash.map { String(prefix[..<$0]) } ?? ""
        var keys: [ObjectInfo] = []
        let fm = FileManager.default
        let start = base.isEmpty ? root : root + "/" + base
        if let walker = fm.enumerator(atPath: start) {
            while let relative = walker.nextObject() as? String {
                let key = base.isEmpty ? relative : base + "/" + relative
                guard key.hasPrefix(prefix), !relative.contains(Self.temporaryMarker),
                    continuation.map({ ObjectInfo.precedes($0, key) }) ?? true
                else { continue }
                let attributes = walker.fileAttributes
                guard attributes?[.type] as? FileAttributeType == .typeRegular else { continue }
                keys.append(ObjectInfo(key: key, size: (attributes?[.size] as? NSNumber)?.intValue ?? 0))
            }
        }
        keys.sort { ObjectInfo.precedes($0.key, $1.key) }
        let page = Array(keys.prefix(max(limit, 1)))
        return ObjectListing(objects: page, continuation: keys.count > page.count ? page.last?.key : nil)
    }

    public func delete(_ key: String) async throws {
        let path = try path(key)
        try io(key) {
            guard unlink(path) == 0 || errno == ENOENT else { throw StorageError.errno("unlink", path: path) }
            try? FileIO.syncDirectory((path as NSString).deletingLastPathComponent)
        }
    }

    public func size(_ key: String) async throws -> Int? {
        let path = try path(key)
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ObjectStoreError(.io, key: key, String(cString: strerror(errno)))
        }
        return (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : nil
    }
}
