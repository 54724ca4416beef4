import KilnBytes

/// `frameOfReference`: per miniblock of up to 128 values,
/// `<min><uvarint gcd ≥ 1><u8 width>` then `(v − min) / gcd` bit-packed.
/// `min` is a column value (zig-zag for `int64`); `gcd` divides every
/// `v − min`, so sample values that are multiples of a sampling period
/// (10 000 000 ns) pack as small integers.
enum FrameOfReferenceEncoding {
    static func encode(_ values: [UInt64], signed: Bool, into out: inout ByteWriter) {
        var start = 0
        while start < values.count {
            let block = values[start..<min(start + ColumnarFormat.miniblockSize, values.count)]
            let low = signed ? UInt64(bitPattern: block.map { Int64(bitPattern: $0) }.min()!) : block.min()!
            var gcd: UInt64 = 0
            var widest: UInt64 = 0
            for v in block {
                gcd = Self.gcd(gcd, v &- low)
                widest = max(widest, v &- low)
            }
            gcd = max(gcd, 1)
            let width = BitPacking.width(of: widest / gcd)
            out.integer(low, signed: signed)
            out.uvarint(gcd)
            out.uint8(UInt8(width))
            BitPacking.pack(block.lazy.map { ($0 &- low) / gcd }, width: width, into: &out)
            start += block.count
        }
    }

    static func decode(count: Int, signed: Bool, from r: inout ByteReader, into out: inout [UInt64]) throws(DecodeError) {
        var left = count
        while left > 0 {
            let n = min(left, ColumnarFormat.miniblockSize)
            let low = try r.integer(signed: signed)
            let gcd = try r.uvarint()
            guard gcd >= 1 else { throw r.error("frame-of-reference divisor 0") }
            let width = Int(try r.uint8())
            let first = try BitPacking.unpack(count: n, width: width, from: &r, appendingTo: &out)
            out.withUnsafeMutableBufferPointer { p in
                if gcd == 1 {
                    for i in first..<(first + n) { p[i] = low &+ p[i] }
                } else {
                    for i in first..<(first + n) { p[i] = low &+ p[i] &* gcd }
                }
            }
            left -= n
        }
    }

    static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}
