/// Appends Kiln's primitive encodings to a growable byte array:
/// little-endian fixed widths, unsigned LEB128 (`uvarint`), zig-zag (`varint`),
/// length-prefixed strings.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inline(__always)
    public mutating func uvarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always)
    public mutating func uvarint(_ v: UInt32) { uvarint(UInt64(v)) }
    @inline(__always)
    public mutating func uvarint(_ v: Int) { uvarint(UInt64(v)) }

    /// Zig-zag: small magnitudes of either sign take few bytes.
    @inline(__always)
    public mutating func varint(_ v: Int64) { uvarint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    public mutating func uint8(_ v: UInt8) { bytes.append(v) }

    public mutating func uint32LE(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    public mutating func uint64LE(_ v: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) }
    }

    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            uvarint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func append(_ other: some Collection<UInt8>) { bytes.append(contentsOf: other) }
}
