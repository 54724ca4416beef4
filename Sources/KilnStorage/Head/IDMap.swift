/// A hash map from non-zero `UInt64` keys to `UInt32` ids: open addressing,
/// linear probing, power-of-two capacity, load factor ≤ 1/2.
///
/// It replaces `Dictionary<UInt64, UInt32>` on the ingest hot path (one lookup
/// per stack frame of every sample): no per-lookup hasher set-up, one
/// multiply-shift hash, keys and values in two flat arrays. Key 0 marks an
/// empty slot, so callers must never insert 0.
struct IDMap: Sendable {
    private var keys: [UInt64]
    private var values: [UInt32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        keys = [UInt64](repeating: 0, count: n)
        values = [UInt32](repeating: 0, count: n)
        mask = n - 1
    }

    /// Fibonacci hashing: the golden-ratio multiply spreads structured keys
    /// (parent << 32 | location) over the table.
    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask }

    /// The id stored for `key`, or nil.
    @inline(__always)
    func get(_ key: UInt64) -> UInt32? {
        precondition(key != 0, "IDMap keys must be non-zero")
        var i = slot(key)
        return keys.withUnsafeBufferPointer { k in
            while true {
                let found = k[i]
                if found == key { return values[i] }
                if found == 0 { return nil }
                i = (i + 1) & mask
            }
        }
    }

    /// Stores `id` for `key` (which must not be present yet).
    mutating func insert(_ key: UInt64, _ id: UInt32) {
        precondition(key != 0, "IDMap keys must be non-zero")
        if (count + 1) * 2 > keys.count { grow() }
        var i = slot(key)
        while keys[i] != 0 { i = (i + 1) & mask }
        keys[i] = key
        values[i] = id
        count += 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = [UInt64](repeating: 0, count: oldKeys.count * 2)
        values = [UInt32](repeating: 0, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (k, v) in zip(oldKeys, oldValues) where k != 0 { insert(k, v) }
    }
}
