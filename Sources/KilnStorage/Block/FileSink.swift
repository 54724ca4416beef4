import Glibc
import KilnBytes
import KilnFormat

/// A new file written front to back through a buffer, with the CRC32C of
/// everything written; `close` fsyncs it. For block files, which are written
/// once and never modified.
final class FileSink {
    let path: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private(set) var size = 0
    private(set) var crc: UInt32 = 0

    /// Flush threshold: large sequential writes, bounded memory.
    static let bufferSize = 1 << 20

    init(path: String) throws {
        self.path = path
        fd = try FileIO.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
        buffer.reserveCapacity(Self.bufferSize)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    func write(_ bytes: [UInt8]) throws {
        crc = CRC32C.checksum(bytes, continuing: crc)
        size += bytes.count
        buffer += bytes
        if buffer.count >= Self.bufferSize { try flush() }
    }

    private func flush() throws {
        try FileIO.writeAll(fd, buffer, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, fsyncs and closes.
    func close() throws {
        try flush()
        try FileIO.sync(fd, path: path)
        Glibc.close(fd)
        fd = -1
    }
}
