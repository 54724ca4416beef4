import KilnBytes

/// `runLength`: `<value><uvarint run length ≥ 1>` pairs until the page's row
/// count is reached; values as in `varint`.
enum RunLengthEncoding {
    static func encode(_ values: [UInt64], signed: Bool, into out: inout ByteWriter) {
        var i = 0
        while i < values.count {
            var j = i + 1
            while j < values.count && values[j] == values[i] { j += 1 }
            out.integer(values[i], signed: signed)
            out.uvarint(j - i)
            i = j
        }
    }

    /// - Complexity: O(count + runs); a hostile run length is bounded by `count`.
    static func decode(count: Int, signed: Bool, from r: inout ByteReader, into out: inout [UInt64]) throws(DecodeError) {
        var left = count
        while left > 0 {
            let v = try r.integer(signed: signed)
            let runAt = r.offset
            let run = try r.uvarint()
            guard run >= 1, run <= UInt64(left) else {
                throw DecodeError(offset: r.baseOffset + runAt, reason: "run of \(run) values where 1…\(left) remain")
            }
            out.append(contentsOf: repeatElement(v, count: Int(run)))
            left -= Int(run)
        }
    }
}
