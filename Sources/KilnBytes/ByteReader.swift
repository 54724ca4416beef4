/// A bounds-checked cursor over bytes decoding `ByteWriter`'s encodings.
///
/// Every read checks the remaining length first and throws `DecodeError`
/// with the absolute offset; it never traps on hostile input.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int
    public let end: Int
    /// Added to offsets in errors (the position of `bytes` in its file).
    public let baseOffset: Int

    public init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>? = nil, baseOffset: Int = 0) {
        self.bytes = bytes
        self.offset = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
        self.baseOffset = baseOffset
    }

    public var remaining: Int { end - offset }
    public var atEnd: Bool { offset >= end }

    public func error(_ reason: String) -> DecodeError { DecodeError(offset: baseOffset + offset, reason: reason) }

    @inline(__always)
    public mutating func uvarint() throws(DecodeError) -> UInt64 {
        if offset < end {
            let b = bytes[offset]
            if b < 0x80 {
                offset += 1
                return UInt64(b)
            }
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < end else { throw DecodeError(offset: baseOffset + start, reason: "truncated varint") }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { throw DecodeError(offset: baseOffset + start, reason: "varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    @inline(__always)
    public mutating func varint() throws(DecodeError) -> Int64 {
        let u = try uvarint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// A uvarint that must fit in `UInt32`.
    @inline(__always)
    public mutating func uvarint32() throws(DecodeError) -> UInt32 {
        let start = offset
        let v = try uvarint()
        guard v <= UInt64(UInt32.max) else { throw DecodeError(offset: baseOffset + start, reason: "value \(v) exceeds 32 bits") }
        return UInt32(v)
    }

    /// A count of items that each take at least `minBytes`: bounded by what is left,
    /// so a hostile count cannot make the caller reserve unbounded memory.
    public mutating func count(minBytesEach minBytes: Int = 1) throws(DecodeError) -> Int {
        let start = offset
        let v = try uvarint()
        guard v <= UInt64(remaining / max(minBytes, 1)) else {
            throw DecodeError(offset: baseOffset + start, reason: "count \(v) exceeds the \(remaining) bytes left")
        }
        return Int(v)
    }

    public mutating func uint8() throws(DecodeError) -> UInt8 {
        guard offset < end else { throw error("truncated byte") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func uint32LE() throws(DecodeError) -> UInt32 {
        guard remaining >= 4 else { throw error("truncated 32-bit integer") }
        defer { offset += 4 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    public mutating func uint64LE() throws(DecodeError) -> UInt64 {
        guard remaining >= 8 else { throw error("truncated 64-bit integer") }
        defer { offset += 8 }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        return v
    }

    /// The next `n` bytes, copied.
    public mutating func bytes(_ n: Int) throws(DecodeError) -> [UInt8] {
        guard n >= 0, n <= remaining else { throw error("\(n) bytes needed, \(remaining) left") }
        defer { offset += n }
        return [UInt8](UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
    }

    public mutating func skip(_ n: Int) throws(DecodeError) {
        guard n >= 0, n <= remaining else { throw error("\(n) bytes needed, \(remaining) left") }
        offset += n
    }

    public mutating func string() throws(DecodeError) -> String {
        let n = try count()
        defer { offset += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]), as: UTF8.self)
    }
}

/// Bytes that do not decode: where (absolute offset) and why.
public struct DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }
    public var description: String { "at byte \(offset): \(reason)" }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body that throws only `DecodeError`, keeping
    /// the error type (the standard library's version is `rethrows`, which
    /// erases it).
    public func withDecodableBytes<R>(_ body: (UnsafeRawBufferPointer) throws(DecodeError) -> R) throws(DecodeError) -> R {
        let result: Result<R, DecodeError> = withUnsafeBytes { buffer in
            do throws(DecodeError) { return .success(try body(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
