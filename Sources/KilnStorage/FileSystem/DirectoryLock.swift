import Glibc
import Synchronization

/// An exclusive `flock(2)` on `<dir>/LOCK`, held for the life of the object
/// (and released by the kernel if the process dies), so two daemons can
/// never share a data directory.
public final class DirectoryLock: Sendable {
    public let path: String
    /// The locked descriptor; -1 once released.
    private let fd: Mutex<Int32>

    /// - Throws: `StorageError` naming the directory when another process holds the lock.
    public init(directory: String) throws {
        path = directory + "/LOCK"
        let fd = try FileIO.open(path, O_RDWR | O_CREAT)
        self.fd = Mutex(fd)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            // Throwing from a fully initialised class runs deinit, which would
            // close the descriptor again — by then perhaps another thread's
            // file. Hand it over here so release() finds nothing to close.
            self.fd.withLock { $0 = -1 }
            close(fd)
            if busy {
                throw StorageError("lock", path: directory, reason: "the directory is in use by another Kiln process (\(path) is locked)")
            }
            throw StorageError.errno("flock", path: path)
        }
    }

    /// Releases the lock (closing the descriptor releases it). Idempotent.
    public func release() {
        fd.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    deinit { release() }
}
