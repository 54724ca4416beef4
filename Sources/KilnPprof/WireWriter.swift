import KilnBytes

/// Appends protobuf wire-format fields to a byte array; the varints are
/// `ByteWriter`'s (protobuf's base-128 varint is the same LEB128).
struct WireWriter {
    private var out = ByteWriter()
    var bytes: [UInt8] { out.bytes }

    @inline(__always)
    mutating func varint(_ v: UInt64) { out.uvarint(v) }

    @inline(__always)
    mutating func tag(_ field: UInt64, _ wire: WireReader.WireType) { varint(field << 3 | wire.rawValue) }

    /// A varint field, omitted when zero (proto3 default).
    @inline(__always)
    mutating func uint64(_ field: UInt64, _ v: UInt64) {
        guard v != 0 else { return }
        tag(field, .varint)
        varint(v)
    }

    @inline(__always)
    mutating func int64(_ field: UInt64, _ v: Int64) { uint64(field, UInt64(bitPattern: v)) }

    mutating func bool(_ field: UInt64, _ v: Bool) { uint64(field, v ? 1 : 0) }

    mutating func bytesField(_ field: UInt64, _ b: some Collection<UInt8>) {
        tag(field, .lengthDelimited)
        varint(UInt64(b.count))
        out.append(b)
    }

    /// A packed repeated varint field, omitted when empty.
    mutating func packed(_ field: UInt64, _ values: some Collection<UInt64>) {
        guard !values.isEmpty else { return }
        var size = 0
        for v in values { size += Self.varintSize(v) }
        tag(field, .lengthDelimited)
        varint(UInt64(size))
        for v in values { varint(v) }
    }

    /// A nested message written by `body` (length computed after writing).
    mutating func message(_ field: UInt64, _ body: (inout WireWriter) -> Void) {
        var inner = WireWriter()
        body(&inner)
        bytesField(field, inner.bytes)
    }

    static func varintSize(_ v: UInt64) -> Int {
        v == 0 ? 1 : (64 - v.leadingZeroBitCount + 6) / 7
    }
}
