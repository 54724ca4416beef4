#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An exclusive `flock(2)` on `<dir>/LOCK`, held for the life of the object
/// (and released by the kernel if the process dies), so two daemons can
/// never share a data directory.
public final class DirectoryLock: Sendable {
    public let path: String
    private let fd: Int32

    /// - Throws: `StorageError` naming the directory when another process holds the lock.
    public init(directory: String) throws {
        path = directory + "/LOCK"
        fd = try FileIO.open(path, O_RDWR | O_CREAT)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(fd)
            if busy {
                throw StorageError("lock", path: directory, reason: "the directory is in use by another Kiln process (\(path) is locked)")
            }
            throw StorageError.errno("flock", path: path)
        }
    }

    deinit { close(fd) }  // closing the descriptor releases the lock
}
