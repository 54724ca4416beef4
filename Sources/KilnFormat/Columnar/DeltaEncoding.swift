import KilnBytes

/// `deltaBitPacked`: the first value, then the deltas `v[i] − v[i−1]` (as
/// wrapping 64-bit differences read as signed) in miniblocks of up to 128:
/// `<varint min delta><u8 width>` then `delta − min delta` bit-packed.
/// Sorted timestamps pack into the few bits of their jitter; a jump (the next
/// series) widens only its own miniblock.
enum DeltaEncoding {
    static func encode(_ values: [UInt64], signed: Bool, into out: inout ByteWriter) {
        guard let first = values.first else { return }
        out.integer(first, signed: signed)
        var start = 1
        while start < values.count {
            let end = min(start + ColumnarFormat.miniblockSize, values.count)
            var low = Int64.max
            for i in start..<end { low = min(low, Int64(bitPattern: values[i] &- values[i - 1])) }
            var widest: UInt64 = 0
            for i in start..<end { widest = max(widest, (values[i] &- values[i - 1]) &- UInt64(bitPattern: low)) }
            let width = BitPacking.width(of: widest)
            out.varint(low)
            out.uint8(UInt8(width))
            BitPacking.pack((start..<end).lazy.map { (values[$0] &- values[$0 - 1]) &- UInt64(bitPattern: low) }, width: width, into: &out)
            start = end
        }
    }

    static func decode(count: Int, signed: Bool, from r: inout ByteReader, into out: inout [UInt64]) throws(DecodeError) {
        guard count > 0 else { return }
        var previous = try r.integer(signed: signed)
        out.append(previous)
        var left = count - 1
        while left > 0 {
            let n = min(left, ColumnarFormat.miniblockSize)
            let low = UInt64(bitPattern: try r.varint())
            let width = Int(try r.uint8())
            let first = try BitPacking.unpack(count: n, width: width, from: &r, appendingTo: &out)
            out.withUnsafeMutableBufferPointer { p in
                for i in first..<(first + n) {
                    previous = previous &+ low &+ p[i]
                    p[i] = previous
                }
            }
            left -= n
        }
    }
}
