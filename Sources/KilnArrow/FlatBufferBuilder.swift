/// Builds one FlatBuffer back to front, as the FlatBuffers format lays it
/// out: a table's children are written before it, so every offset points
/// forward (to a higher address), and each table starts with a signed
/// offset back to its vtable, written just before it.
///
/// Positions are kept as "offset from the end" of the buffer (the buffer
/// grows at the front); `finish` prepends the root offset and returns the
/// bytes. Only what Arrow's IPC metadata needs: scalars, strings, vectors of
/// offsets and of structs, tables.
///
/// Cost: prepending moves the bytes built so far; Arrow metadata messages are
/// a few hundred bytes, so this stays far below the cost of the record data.
struct FlatBufferBuilder {
    /// The buffer's tail, front first.
    private(set) var bytes: [UInt8] = []
    private var maxAlign = 1
    private var fields: [(slot: Int, offset: Int)] = []
    private var tableStart = 0

    /// Offset from the end of what has been built.
    var offset: Int { bytes.count }

    private mutating func pad(_ n: Int) {
        if n > 0 { bytes.insert(contentsOf: repeatElement(0, count: n), at: 0) }
    }

    /// Pads so that after prepending `additional` bytes the front is aligned to `size`.
    mutating func align(_ size: Int, additional: Int = 0) {
        maxAlign = max(maxAlign, size)
        pad((size - (bytes.count + additional) % size) % size)
    }

    mutating func prepend<T: FixedWidthInteger>(_ v: T) {
        align(MemoryLayout<T>.size)
        withUnsafeBytes(of: v.littleEndian) { bytes.insert(contentsOf: $0, at: 0) }
    }

    /// Prepends a forward offset to the object at `target` (an earlier `offset`).
    mutating func prependOffset(_ target: Int) {
        align(4)
        prepend(UInt32(bytes.count + 4 - target))
    }

    mutating func string(_ s: String) -> Int {
        let utf8 = Array(s.utf8)
        align(4, additional: utf8.count + 1)
        bytes.insert(0, at: 0)
        bytes.insert(contentsOf: utf8, at: 0)
        prepend(UInt32(utf8.count))
        return offset
    }

    mutating func vector(offsets: [Int]) -> Int {
        align(4, additional: offsets.count * 4)
        for o in offsets.reversed() { prependOffset(o) }
        prepend(UInt32(offsets.count))
        return offset
    }

    /// A vector of structs made of Int64 fields (Arrow's FieldNode and Buffer).
    mutating func vector(structs: [[Int64]]) -> Int {
        let size = structs.first.map { $0.count * 8 } ?? 8
        align(max(8, 4), additional: structs.count * size)
        for s in structs.reversed() { for v in s.reversed() { withUnsafeBytes(of: v.littleEndian) { bytes.insert(contentsOf: $0, at: 0) } } }
        prepend(UInt32(structs.count))
        return offset
    }

    mutating func startTable() {
        fields = []
        tableStart = bytes.count
    }

    mutating func add<T: FixedWidthInteger>(_ slot: Int, _ v: T) {
        prepend(v)
        fields.append((slot, offset))
    }

    mutating func add(_ slot: Int, _ v: Bool) { add(slot, UInt8(v ? 1 : 0)) }

    mutating func addOffset(_ slot: Int, _ target: Int) {
        prependOffset(target)
        fields.append((slot, offset))
    }

    /// Writes the table's vtable offset and its vtable; returns the table's position.
    mutating func endTable() -> Int {
        prepend(Int32(0))  // patched below: the distance back to the vtable
        let table = offset
        let slots = (fields.map(\.slot).max() ?? -1) + 1
        var entries = [UInt16](repeating: 0, count: slots)
        for f in fields { entries[f.slot] = UInt16(table - f.offset) }
        for e in entries.reversed() { prepend(e) }
        prepend(UInt16(table - tableStart))
        prepend(UInt16(4 + 2 * slots))
        let vtable = offset
        let at = bytes.count - table
        withUnsafeBytes(of: Int32(vtable - table).littleEndian) { bytes.replaceSubrange(at..<(at + 4), with: $0) }
        fields = []
        return table
    }

    /// Prepends the root offset and returns the finished buffer.
    mutating func finish(_ root: Int) -> [UInt8] {
        align(max(maxAlign, 8), additional: 4)
        prependOffset(root)
        return bytes
    }
}
