import KilnBytes

/// `plain`: integers as 8-byte little-endian words; byte strings as
/// `<uvarint length><bytes>`.
enum PlainEncoding {
    static func encode(_ values: [UInt64], into out: inout ByteWriter) {
        for v in values { out.uint64LE(v) }
    }

    static func decode(count: Int, from r: inout ByteReader, into out: inout [UInt64]) throws(DecodeError) {
        guard count <= r.remaining / 8 else { throw r.error("\(count) plain integers need \(count * 8) bytes, \(r.remaining) left") }
        for _ in 0..<count { out.append(try r.uint64LE()) }
    }

    static func encode(_ values: [[UInt8]], into out: inout ByteWriter) {
        for v in values {
            out.uvarint(v.count)
            out.append(v)
        }
    }

    static func decode(count: Int, from r: inout ByteReader, into out: inout [[UInt8]]) throws(DecodeError) {
        guard count <= r.remaining else { throw r.error("\(count) byte strings need at least \(count) bytes, \(r.remaining) left") }
        for _ in 0..<count { out.append(try r.bytes(try r.count())) }
    }
}
