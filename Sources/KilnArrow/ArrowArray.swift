/// One decoded column (or child, or dictionary) of an Arrow record batch:
/// its buffers as the IPC body held them, after decompression.
///
/// Invariant (checked by `ArrowStreamReader` before the array is handed
/// out, so the accessors need no checks of their own): every buffer is
/// long enough for `length` entries of the type, offsets and sizes stay
/// inside their data or child, views inside their data buffers, run ends
/// increase and cover `length`, and every valid dictionary index is below
/// its dictionary's length. Accessors cost O(1) but `physicalIndex`, a
/// binary search over the runs.
///
/// A class, immutable: readers pass arrays around per entry, and a
/// reference costs one retain where the struct's fields cost ten.
public final class ArrowArray: Sendable {
    /// The field this array decodes; for a dictionary-encoded field the
    /// array holds indices (`field.dictionary`), its values are the dictionary's.
    public let field: ArrowField
    public let length: Int
    public let nullCount: Int
    /// Validity bitmap (bit `i` set: entry `i` valid); nil when every entry is valid.
    let validity: [UInt8]?
    /// The type's buffers after validity: data; offsets and data; offsets
    /// and sizes; views and then the variadic data buffers; indices.
    let buffers: [[UInt8]]
    public let children: [ArrowArray]

    init(field: ArrowField, length: Int, nullCount: Int, validity: [UInt8]?, buffers: [[UInt8]], children: [ArrowArray]) {
        self.field = field
        self.length = length
        self.nullCount = nullCount
        self.validity = validity
        self.buffers = buffers
        self.children = children
    }

    public func isNull(_ i: Int) -> Bool {
        guard let validity else { return field.type == .null }
        return validity[i >> 3] & (1 << UInt8(i & 7)) == 0
    }

    /// Entry `i` of a Boolean array.
    public func bool(_ i: Int) -> Bool { buffers[0][i >> 3] & (1 << UInt8(i & 7)) != 0 }

    /// Entry `i` of an integer, timestamp or dictionary-index array, widened to Int64
    /// (a UInt64 above `Int64.max` wraps; `uint64(_:)` reads those).
    public func int(_ i: Int) -> Int64 {
        let width: Int
        let signed: Bool
        if let d = field.dictionary {
            (width, signed) = (d.indexBitWidth, d.indexSigned)
        } else if case .int(let w, let s) = field.type {
            (width, signed) = (w, s)
        } else {
            (width, signed) = (64, true)
        }
        let b = buffers[0]
        switch (width, signed) {
        case (8, true): return Int64(Int8(bitPattern: b[i]))
        case (8, false): return Int64(b[i])
        case (16, true): return Int64(Int16(bitPattern: LittleEndian.u16(b, 2 * i)))
        case (16, false): return Int64(LittleEndian.u16(b, 2 * i))
        case (32, true): return Int64(Int32(bitPattern: LittleEndian.u32(b, 4 * i)))
        case (32, false): return Int64(LittleEndian.u32(b, 4 * i))
        default: return Int64(bitPattern: LittleEndian.u64(b, 8 * i))
        }
    }

    /// Entry `i` of a 64-bit integer array as unsigned.
    public func uint64(_ i: Int) -> UInt64 { UInt64(bitPattern: int(i)) }

    /// Entry `i` of a dictionary-encoded array: the index into its dictionary.
    public func index(_ i: Int) -> Int { Int(int(i)) }

    /// The bytes of entry `i` of a binary, string (plain, large or view) or fixed-size binary array.
    public func bytes(_ i: Int) -> ArraySlice<UInt8> {
        switch field.type {
        case .binary, .utf8:
            let start = Int(LittleEndian.u32(buffers[0], 4 * i))
            let end = Int(LittleEndian.u32(buffers[0], 4 * i + 4))
            return buffers[1][start..<end]
        case .largeBinary, .largeUtf8:
            let start = Int(LittleEndian.u64(buffers[0], 8 * i))
            let end = Int(LittleEndian.u64(buffers[0], 8 * i + 8))
            return buffers[1][start..<end]
        case .binaryView, .utf8View:
            let v = 16 * i
            let n = Int(LittleEndian.u32(buffers[0], v))
            if n <= Self.inlineViewBytes { return buffers[0][(v + 4)..<(v + 4 + n)] }
            let buffer = Int(LittleEndian.u32(buffers[0], v + 8))
            let offset = Int(LittleEndian.u32(buffers[0], v + 12))
            return buffers[1 + buffer][offset..<(offset + n)]
        case .fixedSizeBinary(let w): return buffers[0][(w * i)..<(w * i + w)]
        default: return []
        }
    }

    /// Entry `i` as text (UTF-8, invalid sequences replaced).
    public func string(_ i: Int) -> String { String(decoding: bytes(i), as: UTF8.self) }

    /// The child rows of list entry `i` (list, large list, list view); empty for a null entry.
    public func range(_ i: Int) -> Range<Int> {
        if isNull(i) { return 0..<0 }
        switch field.type {
        case .list: return Int(LittleEndian.u32(buffers[0], 4 * i))..<Int(LittleEndian.u32(buffers[0], 4 * i + 4))
        case .largeList: return Int(LittleEndian.u64(buffers[0], 8 * i))..<Int(LittleEndian.u64(buffers[0], 8 * i + 8))
        case .listView:
            let start = Int(LittleEndian.u32(buffers[0], 4 * i))
            return start..<(start + Int(LittleEndian.u32(buffers[1], 4 * i)))
        case .largeListView:
            let start = Int(LittleEndian.u64(buffers[0], 8 * i))
            return start..<(start + Int(LittleEndian.u64(buffers[1], 8 * i)))
        default: return 0..<0
        }
    }

    /// The entry of a run-end-encoded array's values child that logical entry `i` reads.
    public func physicalIndex(_ i: Int) -> Int {
        let ends = children[0]
        var lo = 0
        var hi = ends.length - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if ends.int(mid) > Int64(i) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The child field named `name`'s array (struct arrays).
    public func child(_ name: String) -> ArrowArray? {
        guard let i = field.children.firstIndex(where: { $0.name == name }), i < children.count else { return nil }
        return children[i]
    }

    /// Bytes a string view stores inside itself, from the Arrow format.
    static let inlineViewBytes = 12
}

/// Little-endian loads from byte arrays; the only unaligned memory reads of the reader.
enum LittleEndian {
    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 {
        b.withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
    }
    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        b.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    }
    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        b.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    }
}
