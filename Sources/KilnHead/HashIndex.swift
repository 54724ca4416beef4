/// An index from 64-bit content hashes to dense ids, for interning symbols
/// without building a `Hashable` key per lookup: the caller hashes the
/// entity's fields (or bytes) itself and confirms a candidate with its own
/// equality check, so a lookup that hits allocates nothing.
///
/// Open addressing with linear probing; capacity a power of two, load ≤ 1/2.
/// Stored hashes are forced odd, so 0 marks an empty slot.
struct HashIndex: Sendable {
    private var hashes: [UInt64]
    private var ids: [UInt32]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        hashes = [UInt64](repeating: 0, count: n)
        ids = [UInt32](repeating: 0, count: n)
        mask = n - 1
    }

    /// The id whose entry has `hash` and satisfies `matches`, or nil.
    @inline(__always)
    func find(_ hash: UInt64, _ matches: (UInt32) -> Bool) -> UInt32? {
        let h = hash | 1
        var i = Int(truncatingIfNeeded: h >> 32) & mask
        while true {
            let stored = hashes[i]
            if stored == 0 { return nil }
            if stored == h && matches(ids[i]) { return ids[i] }
            i = (i + 1) & mask
        }
    }

    mutating func insert(_ hash: UInt64, _ id: UInt32) {
        if (count + 1) * 2 > hashes.count { grow() }
        let h = hash | 1
        var i = Int(truncatingIfNeeded: h >> 32) & mask
        while hashes[i] != 0 { i = (i + 1) & mask }
        hashes[i] = h
        ids[i] = id
        count += 1
    }

    private mutating func grow() {
        let oldHashes = hashes
        let oldIDs = ids
        hashes = [UInt64](repeating: 0, count: oldHashes.count * 2)
        ids = [UInt32](repeating: 0, count: oldHashes.count * 2)
        mask = hashes.count - 1
        count = 0
        for (h, id) in zip(oldHashes, oldIDs) where h != 0 { insert(h, id) }
    }
}

/// Hashing helpers for `HashIndex` keys: a 64-bit multiply-xorshift mixer
/// (from splitmix64's finaliser) and a word-at-a-time hash for bytes. Not for untrusted
/// keys an attacker could aim collisions at beyond making lookups slower:
/// equality is always confirmed.
enum ContentHash {
    /// Order-dependent combination: `h` is multiplied before `v` is added, so
    /// equal or swapped inputs do not cancel out (as `h ^ v` would).
    @inline(__always)
    static func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
        var z = h &* 0x9E37_79B9_7F4A_7C15 &+ v &+ 0x2545_F491_4F6C_DD1D
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// One cheap step of a sequence hash (one multiply; `mix` the result once
    /// at the end): for long sequences, where `mix`'s three dependent
    /// multiplies per element would dominate.
    @inline(__always)
    static func step(_ h: UInt64, _ v: UInt64) -> UInt64 {
        let z = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
        return z ^ (z >> 29)
    }

    /// A hash of `b`, eight bytes per step (one multiply each) rather than
    /// FNV's one byte per step: function names and file paths run to tens of
    /// bytes, and byte-at-a-time hashing was most of the cost of interning them.
    @inline(__always)
    static func bytes(_ b: ArraySlice<UInt8>) -> UInt64 {
        b.withUnsafeBytes { raw in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            var i = 0
            while i + 8 <= raw.count {
                h = step(h, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < raw.count {
                tail |= UInt64(raw[i]) << shift
                shift += 8
                i += 1
            }
            return mix(h ^ tail, UInt64(raw.count))
        }
    }

    static func string(_ s: String) -> UInt64 {
        var s = s
        return s.withUTF8 { bytes(ArraySlice($0)) }
    }
}
