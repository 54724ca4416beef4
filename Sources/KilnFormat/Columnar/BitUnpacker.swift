/// The bit-unpacking kernel: `count` values of `width` bits, least
/// significant bit first, from `source` into `destination`.
///
/// Each value is one unaligned little-endian 64-bit load at the byte holding
/// its first bit, shifted and masked; a value whose bits run past that word
/// (width + shift > 64) takes its top bits from the next byte. Loads that
/// would read past `source` go through a zero-padded copy of its last bytes,
/// so the loop never reads outside the buffer.
///
/// Cost: a few instructions per value, no bounds checks, no allocation —
/// this loop decodes every stack id and value a query reads.
public enum BitUnpacker {
    /// - Precondition: `1 ≤ width ≤ 64`; `source.count ≥ ⌈count·width/8⌉`;
    ///   `destination` has room for `count` values.
    public static func unpack(count: Int, width: Int, from source: UnsafeRawBufferPointer, into destination: UnsafeMutablePointer<UInt64>) {
        precondition(width >= 1 && width <= 64 && source.count >= BitPacking.byteCount(values: count, width: width))
        guard count > 0, let base = source.baseAddress else { return }
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        // Values whose 9 bytes (word + spill byte) lie inside `source` take the fast path.
        let fastBytes = source.count - 9
        var i = 0
        var bit = 0
        while i < count && (bit >> 3) <= fastBytes {
            let byte = bit >> 3
            let shift = bit & 7
            var v = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) >> UInt64(shift)
            if shift + width > 64 { v |= UInt64(base.load(fromByteOffset: byte + 8, as: UInt8.self)) << UInt64(64 - shift) }
            destination[i] = v & mask
            i += 1
            bit += width
        }
        guard i < count else { return }
        // The tail: the same arithmetic over a zero-padded copy of the last bytes.
        let tailStart = bit >> 3
        var padded = [UInt8](repeating: 0, count: source.count - tailStart + 9)
        for k in tailStart..<source.count { padded[k - tailStart] = source[k] }
        padded.withUnsafeBytes { tail in
            let t = tail.baseAddress!
            while i < count {
                let byte = (bit >> 3) - tailStart
                let shift = bit & 7
                var v = UInt64(littleEndian: t.loadUnaligned(fromByteOffset: byte, as: UInt64.self)) >> UInt64(shift)
                if shift + width > 64 { v |= UInt64(t.load(fromByteOffset: byte + 8, as: UInt8.self)) << UInt64(64 - shift) }
                destination[i] = v & mask
                i += 1
                bit += width
            }
        }
    }
}
