/// A bounds-checked cursor over one JFR chunk's bytes, decoding JFR's
/// primitive encodings (docs/format/jfr.md §2).
///
/// Integers (`short`, `char`, `int`, `long`) are big-endian fixed-width, or,
/// when the chunk header's compressed-integers flag is set, JFR's varint:
/// 7 bits per byte, least significant group first, the high bit meaning
/// "more"; the ninth byte carries 8 bits, so a 64-bit value takes at most
/// 9 bytes. Values are not zigzagged: a negative `long` takes 9 bytes.
///
/// Every read checks the remaining length and throws `JFRError` with the
/// absolute offset; it never traps on hostile input. The cursor borrows
/// `bytes`: it must not outlive the buffer it was made from.
struct JFRCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    /// One past the last readable byte (an event's end, or the chunk's).
    var end: Int
    let compressed: Bool

    init(_ bytes: UnsafeRawBufferPointer, offset: Int, end: Int, compressed: Bool) {
        self.bytes = bytes
        self.offset = offset
        self.end = min(end, bytes.count)
        self.compressed = compressed
    }

    var remaining: Int { end - offset }

    func error(_ reason: String, at position: Int? = nil) -> JFRError { JFRError(offset: position ?? offset, reason: reason) }

    mutating func seek(_ to: Int) throws(JFRError) {
        guard to >= 0, to <= end else { throw error("offset \(to) is outside the chunk") }
        offset = to
    }

    mutating func skip(_ n: Int) throws(JFRError) {
        guard n >= 0, n <= remaining else { throw error("truncated: \(n) bytes needed, \(remaining) left") }
        offset += n
    }

    @inline(__always)
    mutating func u8() throws(JFRError) -> UInt8 {
        guard offset < end else { throw error("truncated: a byte needed") }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always)
    mutating func bool() throws(JFRError) -> Bool { try u8() != 0 }

    /// A fixed-width big-endian integer of `width` bytes.
    mutating func bigEndian(_ width: Int) throws(JFRError) -> UInt64 {
        guard width <= remaining else { throw error("truncated: \(width) bytes needed, \(remaining) left") }
        var v: UInt64 = 0
        for i in 0..<width { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += width
        return v
    }

    /// A JFR varint (at most 9 bytes).
    @inline(__always)
    mutating func varint() throws(JFRError) -> UInt64 {
        let start = offset
        var v: UInt64 = 0
        for i in 0..<8 {
            guard offset < end else { throw error("truncated varint", at: start) }
            let b = bytes[offset]
            offset += 1
            v |= UInt64(b & 0x7F) << (7 * UInt64(i))
            if b < 0x80 { return v }
        }
        guard offset < end else { throw error("truncated varint", at: start) }
        v |= UInt64(bytes[offset]) << 56
        offset += 1
        return v
    }

    /// `long`.
    @inline(__always)
    mutating func long() throws(JFRError) -> Int64 {
        Int64(bitPattern: compressed ? try varint() : try bigEndian(8))
    }

    /// `int`, as 64 bits (async-profiler writes some ints as longs' varints).
    @inline(__always)
    mutating func int() throws(JFRError) -> Int64 {
        compressed ? Int64(bitPattern: try varint()) : Int64(Int32(bitPattern: UInt32(try bigEndian(4))))
    }

    /// `short` and `char`.
    mutating func short() throws(JFRError) -> Int64 {
        compressed ? Int64(bitPattern: try varint()) : Int64(Int16(bitPattern: UInt16(try bigEndian(2))))
    }

    /// A non-negative `int` used as a count or length, at most `remaining`
    /// (every counted item takes at least one byte), so a hostile count can
    /// never make a reader allocate or loop past the data.
    mutating func count() throws(JFRError) -> Int {
        let start = offset
        let v = try int()
        guard v >= 0, v <= Int64(remaining) else { throw error("count \(v) exceeds the \(remaining) bytes left", at: start) }
        return Int(v)
    }

    /// Encodings of `java.lang.String` (docs/format/jfr.md §2.2).
    enum StringValue {
        case null
        case string(String)
        /// Encoding 2: an index into the `java.lang.String` constant pool.
        case pooled(Int64)
    }

    mutating func string() throws(JFRError) -> StringValue {
        let at = offset
        switch try u8() {
        case 0: return .null
        case 1: return .string("")
        case 2: return .pooled(try long())
        case 3, 5:
            let encoding = bytes[at]
            let n = try count()
            let raw = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
            offset += n
            // Latin-1 that is ASCII (JDK metadata and symbols nearly always) is also UTF-8: the fast path.
            if encoding == 3 || !raw.contains(where: { $0 >= 0x80 }) { return .string(String(decoding: raw, as: UTF8.self)) }
            return .string(String(decoding: raw.map { UInt16($0) }, as: UTF16.self))  // Latin-1 is UTF-16's first 256
        case 4:
            let n = try count()
            var units: [UInt16] = []
            units.reserveCapacity(n)
            var ascii = true
            for _ in 0..<n {
                let u = UInt16(truncatingIfNeeded: try short())
                ascii = ascii && u < 0x80
                units.append(u)
            }
            // ASCII chars (the JDK writes its metadata so) are their own UTF-8: the fast path.
            if ascii { return .string(String(decoding: units.lazy.map { UInt8($0) }, as: UTF8.self)) }
            return .string(String(decoding: units, as: UTF16.self))
        case let e:
            throw error("unknown string encoding \(e)", at: at)
        }
    }

    /// Skips a `java.lang.String` without decoding it.
    mutating func skipString() throws(JFRError) {
        let at = offset
        switch try u8() {
        case 0, 1: return
        case 2: _ = try long()
        case 3, 5: try skip(try count())
        case 4: for _ in 0..<(try count()) { _ = try short() }
        case let e: throw error("unknown string encoding \(e)", at: at)
        }
    }
}
