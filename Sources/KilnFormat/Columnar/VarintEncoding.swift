import KilnBytes

/// `varint`: each value as LEB128 (`uint64`) or zig-zag LEB128 (`int64`).
/// Small magnitudes (counts, sample values) take a byte or two.
enum VarintEncoding {
    static func encode(_ values: [UInt64], signed: Bool, into out: inout ByteWriter) {
        for v in values { out.integer(v, signed: signed) }
    }

    static func decode(count: Int, signed: Bool, from r: inout ByteReader, into out: inout [UInt64]) throws(DecodeError) {
        guard count <= r.remaining else { throw r.error("\(count) varints need at least \(count) bytes, \(r.remaining) left") }
        for _ in 0..<count { out.append(try r.integer(signed: signed)) }
    }
}

extension ByteWriter {
    /// A value of a `uint64` (uvarint) or `int64` (zig-zag varint) column.
    @inline(__always)
    mutating func integer(_ v: UInt64, signed: Bool) {
        if signed { varint(Int64(bitPattern: v)) } else { uvarint(v) }
    }
}

extension ByteReader {
    @inline(__always)
    mutating func integer(signed: Bool) throws(DecodeError) -> UInt64 {
        signed ? UInt64(bitPattern: try varint()) : try uvarint()
    }
}
