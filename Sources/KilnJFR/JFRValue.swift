/// One decoded value of a constant pool entry or an event field, shaped by
/// its class in `JFRMetadata`.
enum JFRValue {
    case null
    /// `boolean`, `byte`, `short`, `char`, `int`, `long`.
    case integer(Int64)
    case real(Double)
    case string(String)
    /// A string held in the `java.lang.String` pool (encoding 2).
    case pooledString(Int64)
    /// A `constantPool` field: the key of an entry in its class's pool.
    case reference(Int64)
    /// An inline class value: its fields in declaration order.
    case object([JFRValue])
    case array([JFRValue])

    var integer: Int64? {
        switch self {
        case .integer(let v), .reference(let v): v
        default: nil
        }
    }

    subscript(_ field: Int?) -> JFRValue {
        guard let field, case .object(let fields) = self, field < fields.count else { return .null }
        return fields[field]
    }
}

/// Decodes or skips values of the classes `metadata` declares.
struct JFRValueReader {
    let metadata: JFRMetadata

    func read(_ field: JFRMetadata.Field, _ c: inout JFRCursor, depth: Int = 0) throws(JFRError) -> JFRValue {
        if field.isArray {
            let n = try c.count()
            var items: [JFRValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try one(field, &c, depth: depth)) }
            return .array(items)
        }
        return try one(field, &c, depth: depth)
    }

    private func one(_ field: JFRMetadata.Field, _ c: inout JFRCursor, depth: Int) throws(JFRError) -> JFRValue {
        if field.isConstantPool { return .reference(try c.long()) }
        return try value(of: field.typeID, &c, depth: depth)
    }

    func value(of typeID: Int64, _ c: inout JFRCursor, depth: Int = 0) throws(JFRError) -> JFRValue {
        guard let cls = metadata.classes[typeID] else { throw c.error("value of class \(typeID), which the metadata does not declare") }
        if let p = cls.primitive {
            switch p {
            case .boolean, .byte: return .integer(Int64(try c.u8()))
            case .short: return .integer(try c.short())
            case .int: return .integer(try c.int())
            case .long: return .integer(try c.long())
            case .float: return .real(Double(Float(bitPattern: UInt32(try c.bigEndian(4)))))
            case .double: return .real(Double(bitPattern: try c.bigEndian(8)))
            case .string:
                switch try c.string() {
                case .null: return .null
                case .string(let s): return .string(s)
                case .pooled(let i): return .pooledString(i)
                }
            }
        }
        guard depth < JFRMetadata.maxValueDepth else {
            throw c.error("class \(cls.name) nests inline values deeper than \(JFRMetadata.maxValueDepth)")
        }
        var fields: [JFRValue] = []
        fields.reserveCapacity(cls.fields.count)
        for f in cls.fields { fields.append(try read(f, &c, depth: depth + 1)) }
        return .object(fields)
    }

    /// Skips a value of `field` without building it.
    func skip(_ field: JFRMetadata.Field, _ c: inout JFRCursor, depth: Int = 0) throws(JFRError) {
        let n = field.isArray ? try c.count() : 1
        for _ in 0..<n {
            if field.isConstantPool { _ = try c.long() } else { try skipValue(of: field.typeID, &c, depth: depth) }
        }
    }

    func skipValue(of typeID: Int64, _ c: inout JFRCursor, depth: Int = 0) throws(JFRError) {
        guard let cls = metadata.classes[typeID] else { throw c.error("value of class \(typeID), which the metadata does not declare") }
        if let p = cls.primitive {
            switch p {
            case .boolean, .byte: try c.skip(1)
            case .short: _ = try c.short()
            case .int: _ = try c.int()
            case .long: _ = try c.long()
            case .float: try c.skip(4)
            case .double: try c.skip(8)
            case .string: try c.skipString()
            }
            return
        }
        guard depth < JFRMetadata.maxValueDepth else {
            throw c.error("class \(cls.name) nests inline values deeper than \(JFRMetadata.maxValueDepth)")
        }
        for f in cls.fields { try skip(f, &c, depth: depth + 1) }
    }
}
