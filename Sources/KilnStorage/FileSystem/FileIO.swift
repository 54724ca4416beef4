import Glibc

/// Thin, throwing wrappers over the POSIX calls the storage layer needs.
/// Each error names the operation and the path.
enum FileIO {
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StorageError.errno("open", path: path) }
        return fd
    }

    /// Writes all of `bytes`, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.errno("write", path: path)
            }
            done += n
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }

    /// `fdatasync`: the data and the metadata needed to read it back (size) are on disk.
    static func sync(_ fd: Int32, path: String) throws {
        guard fdatasync(fd) == 0 else { throw StorageError.errno("fdatasync", path: path) }
    }

    /// Makes a directory's entries (created, renamed, deleted files) durable.
    static func syncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StorageError.errno("fsync", path: path) }
    }

    /// Creates (or replaces) `path` with `bytes`, without syncing: for files
    /// that may be lost in a crash (cache chunks).
    static func write(_ path: String, _ bytes: [UInt8]) throws {
        let fd = try open(path, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        try writeAll(fd, bytes, path: path)
    }

    /// Replaces `path` with `bytes`, whole or not at all after a crash:
    /// written to `temporary` (created or truncated), synced, renamed over
    /// `path`, and `path`'s directory synced. A failure removes `temporary`.
    static func writeDurably(_ path: String, _ bytes: [UInt8], temporary: String) throws {
        let fd = try open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try writeAll(fd, bytes, path: temporary)
            try sync(fd, path: temporary)
            close(fd)
        } catch {
            close(fd)
            try? remove(temporary)
            throw error
        }
        do { try rename(temporary, path) } catch {
            try? remove(temporary)
            throw error
        }
        let slash = path.lastIndex(of: "/")
        try syncDirectory(slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? ".")
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw StorageError.errno("rename", path: from) }
    }

    static func truncate(_ path: String, to size: Int) throws {
        let fd = try open(path, O_WRONLY)
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw StorageError.errno("ftruncate", path: path) }
        try sync(fd, path: path)
    }

    /// The whole file, or its first `limit` bytes.
    static func read(_ path: String, limit: Int = .max) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        return try pread(fd, 0..<min(try size(fd, path: path), limit), path: path)
    }

    /// Reads `range` of the open file `fd` (fewer bytes only at end of file).
    static func pread(_ fd: Int32, _ range: Range<Int>, path: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: range.count)
        var done = 0
        try out.withUnsafeMutableBytes { buf in
            while done < buf.count {
                let n = Glibc.pread(fd, buf.baseAddress! + done, buf.count - done, off_t(range.lowerBound + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw StorageError.errno("pread", path: path)
                }
                if n == 0 { break }
                done += n
            }
        }
        if done < out.count { out.removeSubrange(done...) }
        return out
    }

    static func size(_ fd: Int32, path: String) throws -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StorageError.errno("fstat", path: path) }
        return Int(st.st_size)
    }

    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw StorageError.errno("unlink", path: path) }
    }

    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw StorageError.errno("mkdir", path: prefix) }
        }
    }

    static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw StorageError.errno("opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
