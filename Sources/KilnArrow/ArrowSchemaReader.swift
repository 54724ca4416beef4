/// Schema.fbs's `Schema` and `Field` tables as `ArrowField`s.
enum ArrowSchemaReader {
    // Schema.fbs `Type` union tags.
    enum TypeTag: UInt8 {
        case null = 1
        case int = 2
        case binary = 4
        case utf8 = 5
        case bool = 6
        case timestamp = 10
        case list = 12
        case structure = 13
        case fixedSizeBinary = 15
        case largeBinary = 19
        case largeUtf8 = 20
        case largeList = 21
        case runEndEncoded = 22
        case binaryView = 23
        case utf8View = 24
        case listView = 25
        case largeListView = 26
    }

    static func schema(_ fb: FlatBufferReader, _ t: FlatBufferReader.Table) throws(ArrowReadError) -> (
        fields: [ArrowField], metadata: [String: String]
    ) {
        guard try fb.i16(t, 0) == 0 else { throw fb.error(t.position, "big-endian streams are not read") }
        var fields: [ArrowField] = []
        for f in try fb.tables(t, 1) { fields.append(try field(fb, f, depth: 0)) }
        return (fields, try metadata(fb, t, 2))
    }

    static func metadata(_ fb: FlatBufferReader, _ t: FlatBufferReader.Table, _ slot: Int) throws(ArrowReadError) -> [String: String] {
        var out: [String: String] = [:]
        for kv in try fb.tables(t, slot) { out[try fb.string(kv, 0) ?? ""] = try fb.string(kv, 1) ?? "" }
        return out
    }

    static func field(_ fb: FlatBufferReader, _ t: FlatBufferReader.Table, depth: Int) throws(ArrowReadError) -> ArrowField {
        guard depth < ArrowStreamReader.maxDepth else { throw fb.error(t.position, "schema nests deeper than \(ArrowStreamReader.maxDepth)") }
        let name = try fb.string(t, 0) ?? ""
        let tag = try fb.u8(t, 2)
        let typeTable = try fb.table(t, 3)
        func intType(_ table: FlatBufferReader.Table?) throws(ArrowReadError) -> (Int, Bool) {
            guard let table else { throw fb.error(t.position, "field \(name): Int type without its table") }
            let width = Int(try fb.i32(table, 0))
            guard [8, 16, 32, 64].contains(width) else { throw fb.error(table.position, "field \(name): Int of \(width) bits") }
            return (width, try fb.bool(table, 1))
        }
        let type: ArrowField.DataType
        switch TypeTag(rawValue: tag) {
        case .null: type = .null
        case .int:
            let (w, s) = try intType(typeTable)
            type = .int(bitWidth: w, signed: s)
        case .binary: type = .binary
        case .utf8: type = .utf8
        case .bool: type = .bool
        case .timestamp:
            guard let tt = typeTable else { throw fb.error(t.position, "field \(name): Timestamp without its table") }
            type = .timestamp(unit: try fb.i16(tt, 0), timezone: try fb.string(tt, 1))
        case .list: type = .list
        case .structure: type = .structure
        case .fixedSizeBinary:
            guard let tt = typeTable else { throw fb.error(t.position, "field \(name): FixedSizeBinary without its table") }
            let width = Int(try fb.i32(tt, 0))
            guard width >= 0 else { throw fb.error(tt.position, "field \(name): FixedSizeBinary of \(width) bytes") }
            type = .fixedSizeBinary(width)
        case .largeBinary: type = .largeBinary
        case .largeUtf8: type = .largeUtf8
        case .largeList: type = .largeList
        case .runEndEncoded: type = .runEndEncoded
        case .binaryView: type = .binaryView
        case .utf8View: type = .utf8View
        case .listView: type = .listView
        case .largeListView: type = .largeListView
        case nil: throw fb.error(t.position, "field \(name): Arrow type \(tag) is not read")
        }
        var dictionary: ArrowField.Dictionary?
        if let d = try fb.table(t, 4) {
            let (w, s) = try intType(try fb.table(d, 1) ?? nil)
            dictionary = ArrowField.Dictionary(id: try fb.i64(d, 0), indexBitWidth: w, indexSigned: s)
        }
        var children: [ArrowField] = []
        for c in try fb.tables(t, 5) { children.append(try field(fb, c, depth: depth + 1)) }
        return ArrowField(
            name: name, nullable: try fb.bool(t, 1), type: type, dictionary: dictionary, children: children, metadata: try metadata(fb, t, 6))
    }

    /// Every dictionary-encoded field of `fields` (nested ones too), by dictionary id.
    static func collectDictionaries(
        _ fields: [ArrowField], into out: inout [Int64: ArrowField], depth: Int, fb: FlatBufferReader
    ) throws(ArrowReadError) {
        for f in fields {
            if let d = f.dictionary {
                guard out[d.id] == nil else { throw fb.error(0, "dictionary id \(d.id) is used by two fields") }
                out[d.id] = f
            }
            try collectDictionaries(f.children, into: &out, depth: depth + 1, fb: fb)
        }
    }
}
