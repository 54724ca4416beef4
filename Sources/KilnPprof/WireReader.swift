/// A cursor over protobuf wire-format bytes: varints, tags, length-delimited
/// ranges. The only unsafe code of the decoder lives here; public for the
/// other hand-decoded messages of ingest (pyroscope-java's `LabelsSnapshot`).
///
/// Invariant: `pos <= end`, and every read checks that it stays inside
/// `[pos, end)` before touching memory; a failed check throws `PprofError`
/// with the absolute offset.
public struct WireReader {
    /// Protobuf wire types (protobuf encoding spec).
    public enum WireType: UInt64, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5
    }

    public let base: UnsafePointer<UInt8>
    public private(set) var pos: Int
    public let end: Int

    public init(base: UnsafePointer<UInt8>, range: Range<Int>) {
        self.base = base
        self.pos = range.lowerBound
        self.end = range.upperBound
    }

    public var atEnd: Bool { pos >= end }

    @inline(__always)
    public mutating func varint() throws(PprofError) -> UInt64 {
        // Fast path: one byte.
        if pos < end {
            let b = base[pos]
            if b < 0x80 {
                pos += 1
                return UInt64(b)
            }
        }
        return try varintSlow()
    }

    mutating func varintSlow() throws(PprofError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = pos
        while true {
            guard pos < end else { throw PprofError(offset: start, "truncated varint") }
            let b = base[pos]
            pos += 1
            if shift == 63 && b > 1 { throw PprofError(offset: start, "varint overflows 64 bits") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw PprofError(offset: start, "varint longer than 10 bytes") }
        }
    }

    /// Reads a field tag; returns the field number and wire type.
    @inline(__always)
    public mutating func tag() throws(PprofError) -> (field: UInt64, wire: WireType) {
        let start = pos
        let key = try varint()
        guard let wire = WireType(rawValue: key & 7) else {
            throw PprofError(offset: start, "invalid wire type \(key & 7)")
        }
        let field = key >> 3
        guard field != 0 else { throw PprofError(offset: start, "field number 0") }
        return (field, wire)
    }

    /// Reads a length prefix and returns the absolute range of the payload, moving past it.
    @inline(__always)
    public mutating func lengthDelimited() throws(PprofError) -> Range<Int> {
        let start = pos
        let len = try varint()
        guard len <= UInt64(end - pos) else {
            throw PprofError(offset: start, "length \(len) runs past the end of its message (\(end - pos) bytes left)")
        }
        let r = pos..<(pos + Int(len))
        pos = r.upperBound
        return r
    }

    /// Skips a field of the given wire type.
    public mutating func skip(_ wire: WireType, field: UInt64) throws(PprofError) {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: try advance(8)
        case .fixed32: try advance(4)
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup:
            throw PprofError(offset: pos, "unsupported group wire type in field \(field)")
        }
    }

    mutating func advance(_ n: Int) throws(PprofError) {
        guard n <= end - pos else { throw PprofError(offset: pos, "truncated fixed-width field") }
        pos += n
    }

    /// Reads a varint field as Int64 (two's complement, as protobuf `int64`).
    @inline(__always)
    public mutating func int64() throws(PprofError) -> Int64 { Int64(bitPattern: try varint()) }

    /// Reads a varint field as bool.
    mutating func bool() throws(PprofError) -> Bool { try varint() != 0 }

    /// A reader over a sub-range (a nested message).
    public func sub(_ r: Range<Int>) -> WireReader { WireReader(base: base, range: r) }

    /// Reads a repeated scalar field that may be packed (length-delimited) or not,
    /// calling `body` for each value.
    @inline(__always)
    mutating func repeatedVarint(_ wire: WireType, field: UInt64, _ body: (UInt64) -> Void) throws(PprofError) {
        switch wire {
        case .varint:
            body(try varint())
        case .lengthDelimited:
            let r = try lengthDelimited()
            var inner = sub(r)
            while !inner.atEnd { body(try inner.varint()) }
        default:
            throw PprofError(offset: pos, "field \(field) has wire type \(wire), want varint or packed")
        }
    }

    /// Throws unless `wire` is the expected type for `field`.
    @inline(__always)
    func expect(_ wire: WireType, _ want: WireType, field: UInt64) throws(PprofError) {
        guard wire == want else { throw PprofError(offset: pos, "field \(field) has wire type \(wire), want \(want)") }
    }
}
