import Glibc

/// A value behind a plain `pthread_mutex_t`.
///
/// `Synchronization.Mutex` on Linux is a priority-inheritance futex: under
/// contention every waiter goes through the kernel's rt-mutex path, which
/// showed up as ~10% of ingest CPU with many concurrent pushers on one
/// tenant (`perf`, kiln-bench ingest). A normal pthread mutex is cheaper to
/// contend. Not recursive: `body` must not take the same lock again.
final class LockedState<Value>: @unchecked Sendable {
    // @unchecked: `value` is only read or written while `mutex` is held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    @inline(__always)
    func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
