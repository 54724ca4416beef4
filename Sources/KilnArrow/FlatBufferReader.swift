/// Bounds-checked reads of a FlatBuffer (the encoding of Arrow's IPC
/// metadata): tables through their vtables, scalars, strings, vectors.
///
/// Invariant: every read checks that it lies inside `bytes`; a malformed
/// buffer throws `ArrowReadError` with the absolute stream offset
/// (`base` + position) and never traps. Table positions are indices into
/// `bytes`. Cost: O(1) per field read.
struct FlatBufferReader {
    let bytes: [UInt8]
    /// Where `bytes` starts in the stream, for error offsets.
    let base: Int

    /// A table: its position and its vtable's.
    struct Table {
        let position: Int
        let vtable: Int
        let vtableSize: Int
    }

    /// An error at position `at`, clamped into the metadata (a bad offset may point anywhere).
    func error(_ at: Int, _ reason: String) -> ArrowReadError { ArrowReadError(offset: base + min(max(at, 0), bytes.count), reason) }

    func u8(_ at: Int) throws(ArrowReadError) -> UInt8 {
        guard at >= 0, at < bytes.count else { throw error(at, "read past the end of the metadata") }
        return bytes[at]
    }

    func u16(_ at: Int) throws(ArrowReadError) -> UInt16 { UInt16(try u8(at)) | UInt16(try u8(at + 1)) << 8 }
    func u32(_ at: Int) throws(ArrowReadError) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { throw error(at, "read past the end of the metadata") }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
    func i32(_ at: Int) throws(ArrowReadError) -> Int32 { Int32(bitPattern: try u32(at)) }
    func i64(_ at: Int) throws(ArrowReadError) -> Int64 {
        Int64(bitPattern: UInt64(try u32(at)) | UInt64(try u32(at + 4)) << 32)
    }

    /// The root table (the buffer's first 4 bytes are its offset).
    func root() throws(ArrowReadError) -> Table { try table(at: Int(try u32(0))) }

    func table(at position: Int) throws(ArrowReadError) -> Table {
        let vtable = position - Int(try i32(position))
        let size = Int(try u16(vtable))
        guard size >= 4, size % 2 == 0, vtable + size <= bytes.count else { throw error(vtable, "vtable of \(size) bytes is malformed") }
        return Table(position: position, vtable: vtable, vtableSize: size)
    }

    /// The absolute position of field `slot`, nil when the table does not have it (its default applies).
    func field(_ t: Table, _ slot: Int) throws(ArrowReadError) -> Int? {
        let entry = 4 + 2 * slot
        guard entry + 2 <= t.vtableSize else { return nil }
        let offset = Int(try u16(t.vtable + entry))
        return offset == 0 ? nil : t.position + offset
    }

    func bool(_ t: Table, _ slot: Int, default value: Bool = false) throws(ArrowReadError) -> Bool {
        guard let at = try field(t, slot) else { return value }
        return try u8(at) != 0
    }
    func u8(_ t: Table, _ slot: Int, default value: UInt8 = 0) throws(ArrowReadError) -> UInt8 {
        guard let at = try field(t, slot) else { return value }
        return try u8(at)
    }
    func i16(_ t: Table, _ slot: Int, default value: Int16 = 0) throws(ArrowReadError) -> Int16 {
        guard let at = try field(t, slot) else { return value }
        return Int16(bitPattern: try u16(at))
    }
    func i32(_ t: Table, _ slot: Int, default value: Int32 = 0) throws(ArrowReadError) -> Int32 {
        guard let at = try field(t, slot) else { return value }
        return try i32(at)
    }
    func i64(_ t: Table, _ slot: Int, default value: Int64 = 0) throws(ArrowReadError) -> Int64 {
        guard let at = try field(t, slot) else { return value }
        return try i64(at)
    }

    /// The sub-table of field `slot`, nil when absent.
    func table(_ t: Table, _ slot: Int) throws(ArrowReadError) -> Table? {
        guard let at = try field(t, slot) else { return nil }
        return try table(at: at + Int(try u32(at)))
    }

    func string(_ t: Table, _ slot: Int) throws(ArrowReadError) -> String? {
        guard let at = try field(t, slot) else { return nil }
        let start = at + Int(try u32(at))
        let count = Int(try u32(start))
        guard start + 4 + count <= bytes.count else { throw error(start, "string of \(count) bytes runs past the end of the metadata") }
        return String(decoding: bytes[(start + 4)..<(start + 4 + count)], as: UTF8.self)
    }

    /// The element count and first element's position of vector field `slot` (elements `stride` bytes apart); (0, 0) when absent.
    func vector(_ t: Table, _ slot: Int, stride: Int) throws(ArrowReadError) -> (count: Int, start: Int) {
        guard let at = try field(t, slot) else { return (0, 0) }
        let start = at + Int(try u32(at))
        let count = Int(try u32(start))
        guard count <= (bytes.count - start - 4) / stride else {
            throw error(start, "vector of \(count) elements runs past the end of the metadata")
        }
        return (count, start + 4)
    }

    /// The tables of vector-of-tables field `slot`.
    func tables(_ t: Table, _ slot: Int) throws(ArrowReadError) -> [Table] {
        let (count, start) = try vector(t, slot, stride: 4)
        var out: [Table] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            let at = start + 4 * i
            out.append(try table(at: at + Int(try u32(at))))
        }
        return out
    }
}
