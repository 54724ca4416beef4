/// The type system of one chunk: every class its events and constant pools
/// use, as the chunk's metadata event declares them (docs/format/jfr.md §3).
///
/// A value of a class is its fields in declaration order; a field is one
/// value or (`dimension` 1) an `int` count and that many values; a field
/// marked `constantPool` holds a `long` index into its class's pool instead
/// of the value.
struct JFRMetadata {
    struct Field {
        var name: String
        var typeID: Int64
        var isArray: Bool
        var isConstantPool: Bool
    }

    /// How a value of a class is encoded.
    enum Primitive {
        case boolean, byte, short, int, long, float, double, string
    }

    struct Class {
        var id: Int64
        var name: String
        var fields: [Field]
        /// Set for the built-in types whose encoding is not a field list.
        var primitive: Primitive?

        /// The index of the field `name`, if the class has it.
        func field(_ name: String) -> Int? { fields.firstIndex { $0.name == name } }
    }

    private(set) var classes: [Int64: Class] = [:]
    private(set) var idsByName: [String: Int64] = [:]

    func id(of name: String) -> Int64? { idsByName[name] }

    /// Deepest nesting of inline (non-pool) class values: metadata is
    /// untrusted, and a class containing itself inline would recurse forever.
    static let maxValueDepth = 32
    /// Deepest element nesting of the metadata tree (root, metadata, class,
    /// field, annotation: 5 in every JDK; 16 leaves room for extensions).
    static let maxElementDepth = 16

    /// Parses the metadata event at `offset` (its size field).
    init(_ bytes: UnsafeRawBufferPointer, offset: Int, chunkEnd: Int, compressed: Bool) throws(JFRError) {
        var c = JFRCursor(bytes, offset: offset, end: chunkEnd, compressed: compressed)
        let size = try c.int()
        guard size > 0, size <= Int64(chunkEnd - offset) else { throw c.error("metadata event size \(size) is outside the chunk", at: offset) }
        c.end = offset + Int(size)
        let type = try c.long()
        guard type == JFRRecording.metadataEventType else { throw c.error("the event at the metadata offset has type \(type), not 0", at: offset) }
        _ = try c.long()  // start ticks
        _ = try c.long()  // duration
        _ = try c.long()  // metadata id
        var strings: [String] = []
        let stringCount = try c.count()
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount {
            let at = c.offset
            switch try c.string() {
            case .string(let s): strings.append(s)
            case .null: strings.append("")
            case .pooled: throw c.error("a metadata string refers to a constant pool", at: at)
            }
        }
        let root = try Self.element(&c, strings.count, depth: 0)
        let names = Names(strings)
        for region in root.children where strings[region.name] == "metadata" {
            for element in region.children where element.name == names.class {
                try add(element, strings, names, &c)
            }
        }
        for (name, primitive) in Self.primitives {
            if let id = idsByName[name] { classes[id]?.primitive = primitive }
        }
    }

    static let primitives: [String: Primitive] = [
        "boolean": .boolean, "byte": .byte, "char": .short, "short": .short, "int": .int, "long": .long, "float": .float,
        "double": .double, "java.lang.String": .string,
    ]

    /// A metadata element; attribute keys and values are indexes into the string table.
    private struct Element {
        var name: Int
        var attributes: [(key: Int, value: Int)]
        var children: [Element]
    }

    private static func element(_ c: inout JFRCursor, _ count: Int, depth: Int) throws(JFRError) -> Element {
        guard depth < maxElementDepth else { throw c.error("metadata elements nest deeper than \(maxElementDepth)") }
        func string(_ c: inout JFRCursor) throws(JFRError) -> Int {
            let at = c.offset
            let i = try c.int()
            guard i >= 0, i < Int64(count) else { throw c.error("metadata string index \(i) is out of range (\(count) strings)", at: at) }
            return Int(i)
        }
        let name = try string(&c)
        let n = try c.count()
        var attributes: [(key: Int, value: Int)] = []
        attributes.reserveCapacity(n)
        for _ in 0..<n { attributes.append((try string(&c), try string(&c))) }
        var children: [Element] = []
        for _ in 0..<(try c.count()) { children.append(try element(&c, count, depth: depth + 1)) }
        return Element(name: name, attributes: attributes, children: children)
    }

    /// The string indexes of the element and attribute names the reader looks for (-1: absent).
    private struct Names {
        let `class`, field, id, name, type, constantPool, dimension: Int
        init(_ strings: [String]) {
            var index: [String: Int] = [:]
            for (i, s) in strings.enumerated() where index[s] == nil { index[s] = i }
            func i(_ s: String) -> Int { index[s] ?? -1 }
            (`class`, field, id, name, type) = (i("class"), i("field"), i("id"), i("name"), i("class"))
            (constantPool, dimension) = (i("constantPool"), i("dimension"))
        }
    }

    private mutating func add(_ e: Element, _ strings: [String], _ names: Names, _ c: inout JFRCursor) throws(JFRError) {
        func attribute(_ e: Element, _ key: Int) -> String? { e.attributes.first { $0.key == key }.map { strings[$0.value] } }
        guard let idText = attribute(e, names.id), let id = Int64(idText), let name = attribute(e, names.name) else {
            throw c.error("a metadata class has no id or name")
        }
        var fields: [Field] = []
        for f in e.children where f.name == names.field {
            guard let fieldName = attribute(f, names.name), let typeText = attribute(f, names.type), let typeID = Int64(typeText) else {
                throw c.error("a field of metadata class \(name) has no name or class")
            }
            fields.append(
                Field(
                    name: fieldName, typeID: typeID, isArray: (attribute(f, names.dimension).flatMap { Int($0) } ?? 0) > 0,
                    isConstantPool: attribute(f, names.constantPool) == "true"))
        }
        classes[id] = Class(id: id, name: name, fields: fields)
        idsByName[name] = id
    }
}
