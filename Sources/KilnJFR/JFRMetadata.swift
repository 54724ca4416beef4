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
        // The string table is read lazily: only the strings of class and field
        // elements are decoded (most are labels and descriptions of annotations).
        let stringCount = try c.count()
        var offsets: [Int] = []
        offsets.reserveCapacity(stringCount)
        for _ in 0..<stringCount {
            offsets.append(c.offset)
            try c.skipString()
        }
        let strings = Strings(cursor: c, offsets: offsets)
        let root = try Self.element(&c, offsets.count, depth: 0)
        let names = try Names(strings)
        for region in root.children where names.metadata.contains(region.name) {
            for element in region.children where names.class.contains(element.name) {
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

    /// The metadata's string table, decoded on demand: the position of each
    /// string's encoding byte, read again by a cursor over the same bytes.
    private struct Strings {
        let cursor: JFRCursor
        let offsets: [Int]

        subscript(_ i: Int) -> String {
            get throws(JFRError) {
                var c = cursor
                try c.seek(offsets[i])
                let at = c.offset
                switch try c.string() {
                case .string(let s): return s
                case .null: return ""
                case .pooled: throw c.error("a metadata string refers to a constant pool", at: at)
                }
            }
        }

        /// Whether string `i` is the ASCII `word`, without decoding it when its length differs.
        func equals(_ i: Int, _ word: [UInt8]) throws(JFRError) -> Bool {
            var c = cursor
            try c.seek(offsets[i])
            switch try c.u8() {
            case 3, 5:  // UTF-8, Latin-1: the word's bytes
                guard try c.count() == word.count else { return false }
                for b in word where try c.u8() != b { return false }
                return true
            case 4:  // UTF-16 chars, each a short: the word's bytes as chars
                guard try c.count() == word.count else { return false }
                for b in word where try c.short() != Int64(b) { return false }
                return true
            case 1: return word.isEmpty
            default: return false
            }
        }
    }

    /// The string indexes of the element and attribute names the reader
    /// looks for: every index holding the word, should a writer repeat one.
    private struct Names {
        var metadata: [Int] = [], `class`: [Int] = [], field: [Int] = [], id: [Int] = [], name: [Int] = []
        var constantPool: [Int] = [], dimension: [Int] = []
        /// The `class` attribute of a field (its type id) shares the element name's string.
        var type: [Int] { `class` }

        init(_ strings: Strings) throws(JFRError) {
            let words: [(WritableKeyPath<Names, [Int]>, [UInt8])] = [
                (\.metadata, Array("metadata".utf8)), (\.class, Array("class".utf8)), (\.field, Array("field".utf8)),
                (\.id, Array("id".utf8)), (\.name, Array("name".utf8)), (\.constantPool, Array("constantPool".utf8)),
                (\.dimension, Array("dimension".utf8)),
            ]
            for i in strings.offsets.indices {
                for (key, word) in words where try strings.equals(i, word) { self[keyPath: key].append(i) }
            }
        }
    }

    private mutating func add(_ e: Element, _ strings: Strings, _ names: Names, _ c: inout JFRCursor) throws(JFRError) {
        func attribute(_ e: Element, _ keys: [Int]) throws(JFRError) -> String? {
            guard let a = e.attributes.first(where: { keys.contains($0.key) }) else { return nil }
            return try strings[a.value]
        }
        guard let idText = try attribute(e, names.id), let id = Int64(idText), let name = try attribute(e, names.name) else {
            throw c.error("a metadata class has no id or name")
        }
        var fields: [Field] = []
        for f in e.children where names.field.contains(f.name) {
            guard let fieldName = try attribute(f, names.name), let typeText = try attribute(f, names.type), let typeID = Int64(typeText) else {
                throw c.error("a field of metadata class \(name) has no name or class")
            }
            fields.append(
                Field(
                    name: fieldName, typeID: typeID, isArray: (try attribute(f, names.dimension).flatMap { Int($0) } ?? 0) > 0,
                    isConstantPool: try attribute(f, names.constantPool) == "true"))
        }
        classes[id] = Class(id: id, name: name, fields: fields)
        idsByName[name] = id
    }
}
