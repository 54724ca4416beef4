import KilnBytes

/// Packs integers of a fixed bit width back to back, least significant bit
/// first: value `i` occupies bits `[i·w, (i+1)·w)` of the little-endian bit
/// stream, so `n` values take `⌈n·w/8⌉` bytes. Width 0 takes no bytes (every
/// value is 0).
enum BitPacking {
    /// Bits needed for `v` (0 for 0).
    @inline(__always)
    static func width(of v: UInt64) -> Int { 64 - v.leadingZeroBitCount }

    static func byteCount(values n: Int, width w: Int) -> Int { (n * w + 7) / 8 }

    /// Appends `values`, each of which must fit in `width` bits.
    static func pack(_ values: some Sequence<UInt64>, width w: Int, into out: inout ByteWriter) {
        guard w > 0 else { return }
        var acc: UInt64 = 0
        var bits = 0
        for v in values {
            acc |= v << UInt64(bits)
            let total = bits + w
            if total >= 64 {
                appendWord(acc, bytes: 8, into: &out)
                acc = bits == 0 ? 0 : v >> UInt64(64 - bits)
                bits = total - 64
            } else {
                bits = total
            }
        }
        if bits > 0 { appendWord(acc, bytes: (bits + 7) / 8, into: &out) }
    }

    @inline(__always)
    private static func appendWord(_ word: UInt64, bytes n: Int, into out: inout ByteWriter) {
        for i in 0..<n { out.uint8(UInt8(truncatingIfNeeded: word >> UInt64(8 * i))) }
    }

    /// Reads `count` values of `width` bits and appends them to `out`;
    /// returns the index in `out` of the first.
    /// - Throws: `DecodeError` when fewer than `⌈count·width/8⌉` bytes remain.
    /// - Complexity: O(count): one unaligned 64-bit load per value (`BitUnpacker`).
    static func unpack(count: Int, width w: Int, from r: inout ByteReader, appendingTo out: inout [UInt64]) throws(DecodeError) -> Int {
        guard w <= 64 else { throw r.error("bit width \(w) exceeds 64") }
        let n = byteCount(values: count, width: w)
        guard n <= r.remaining else { throw r.error("bit-packed run of \(count) × \(w) bits needs \(n) bytes, \(r.remaining) left") }
        let first = out.count
        out.append(contentsOf: repeatElement(0, count: count))
        if w > 0 {
            let source = UnsafeRawBufferPointer(rebasing: r.bytes[r.offset..<(r.offset + n)])
            out.withUnsafeMutableBufferPointer { p in BitUnpacker.unpack(count: count, width: w, from: source, into: p.baseAddress! + first) }
        }
        try r.skip(n)
        return first
    }
}
