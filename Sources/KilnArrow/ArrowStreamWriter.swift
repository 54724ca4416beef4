/// Writes one record batch as an Arrow IPC **stream** (arrow format
/// `Schema.fbs`/`Message.fbs`, metadata version V5, little-endian, no body
/// compression): a Schema message, one DictionaryBatch per dictionary
/// column, the RecordBatch, and the end-of-stream marker. Every message is
/// `0xFFFFFFFF`, the metadata length, the FlatBuffer `Message` padded to 8
/// bytes, then its body, each buffer padded to 8 bytes.
///
/// Only the column types Kiln emits (Parca's flame graph schema,
/// shared/reference/parca-api.md §3): UInt64, Int32, Boolean, List<UInt32>
/// (no null bitmap on the list's values, as Grafana's reader needs), and
/// Dictionary<Int32 → Binary>. Pure: bytes out, no I/O.
public enum ArrowStreamWriter {
    public enum Column: Sendable {
        case uint64(String, [UInt64])
        case int32(String, [Int32])
        case bool(String, [Bool])
        /// Each row a list of child indices, nil for a null list.
        case listUInt32(String, [[UInt32]?])
        /// Indices into `dictionary` (nil: null); `id` unique per stream.
        case dictionaryBinary(String, id: Int64, indices: [Int32?], dictionary: [[UInt8]])

        var name: String {
            switch self {
            case .uint64(let n, _), .int32(let n, _), .bool(let n, _), .listUInt32(let n, _): n
            case .dictionaryBinary(let n, _, _, _): n
            }
        }
    }

    // Arrow's FlatBuffer enums.
    static let metadataV5: Int16 = 4
    enum Header: UInt8 {
        case schema = 1
        case dictionaryBatch = 2
        case recordBatch = 3
    }
    enum TypeID: UInt8 {
        case int = 2
        case binary = 4
        case bool = 6
        case list = 12
    }

    /// The stream of `columns`, all `rows` long.
    public static func stream(_ columns: [Column], rows: Int) -> [UInt8] {
        var out: [UInt8] = []
        out += message(schema(columns), header: .schema, body: [])
        for c in columns {
            guard case .dictionaryBinary(_, let id, _, let dictionary) = c else { continue }
            var body = Body()
            body.validity(count: dictionary.count, nulls: [])
            var offsets: [Int32] = [0]
            var data: [UInt8] = []
            for v in dictionary {
                data += v
                offsets.append(Int32(data.count))
            }
            body.buffer(offsets)
            body.buffer(data)
            body.nodes.append([Int64(dictionary.count), 0])
            var b = FlatBufferBuilder()
            let batch = recordBatch(&b, length: dictionary.count, body)
            b.startTable()
            b.add(0, id)
            b.addOffset(1, batch)
            b.add(2, false)
            let root = b.endTable()  // before `b` is passed on: arguments are evaluated left to right
            out += message(b, root: root, header: .dictionaryBatch, body: body.bytes)
        }
        var body = Body()
        for c in columns {
            switch c {
            case .uint64(_, let v):
                body.nodes.append([Int64(v.count), 0])
                body.validity(count: v.count, nulls: [])
                body.buffer(v)
            case .int32(_, let v):
                body.nodes.append([Int64(v.count), 0])
                body.validity(count: v.count, nulls: [])
                body.buffer(v)
            case .bool(_, let v):
                body.nodes.append([Int64(v.count), 0])
                body.validity(count: v.count, nulls: [])
                body.buffer(Self.bits(v))
            case .listUInt32(_, let lists):
                let nulls = lists.indices.filter { lists[$0] == nil }
                body.nodes.append([Int64(lists.count), Int64(nulls.count)])
                body.validity(count: lists.count, nulls: nulls)
                var offsets: [Int32] = [0]
                var values: [UInt32] = []
                for l in lists {
                    values += l ?? []
                    offsets.append(Int32(values.count))
                }
                body.buffer(offsets)
                body.nodes.append([Int64(values.count), 0])
                body.validity(count: values.count, nulls: [])
                body.buffer(values)
            case .dictionaryBinary(_, _, let indices, _):
                let nulls = indices.indices.filter { indices[$0] == nil }
                body.nodes.append([Int64(indices.count), Int64(nulls.count)])
                body.validity(count: indices.count, nulls: nulls)
                body.buffer(indices.map { $0 ?? 0 })
            }
        }
        var b = FlatBufferBuilder()
        let batch = recordBatch(&b, length: rows, body)
        out += message(b, root: batch, header: .recordBatch, body: body.bytes)
        out += [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
        return out
    }

    /// A record batch body: buffers back to back, each padded to 8 bytes, with their (offset, length).
    struct Body {
        var bytes: [UInt8] = []
        var buffers: [[Int64]] = []
        var nodes: [[Int64]] = []

        mutating func buffer<T: FixedWidthInteger>(_ values: [T]) {
            let raw = values.withUnsafeBytes { Array($0) }
            buffers.append([Int64(bytes.count), Int64(raw.count)])
            bytes += raw
            bytes += repeatElement(0, count: (8 - raw.count % 8) % 8)
        }

        /// A validity bitmap; none (a zero-length buffer) when nothing is null.
        mutating func validity(count: Int, nulls: [Int]) {
            guard !nulls.isEmpty else {
                buffers.append([Int64(bytes.count), 0])
                return
            }
            var valid = [Bool](repeating: true, count: count)
            for i in nulls { valid[i] = false }
            buffer(ArrowStreamWriter.bits(valid))
        }
    }

    static func bits(_ v: [Bool]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (v.count + 7) / 8)
        for (i, b) in v.enumerated() where b { out[i / 8] |= 1 << UInt8(i % 8) }
        return out
    }

    static func recordBatch(_ b: inout FlatBufferBuilder, length: Int, _ body: Body) -> Int {
        let nodes = b.vector(structs: body.nodes)
        let buffers = b.vector(structs: body.buffers)
        b.startTable()
        b.add(0, Int64(length))
        b.addOffset(1, nodes)
        b.addOffset(2, buffers)
        return b.endTable()
    }

    static func schema(_ columns: [Column]) -> (FlatBufferBuilder, Int) {
        var b = FlatBufferBuilder()
        var fields: [Int] = []
        for c in columns {
            var children: [Int] = []
            let type: (TypeID, Int)
            var dictionary: Int?
            switch c {
            case .uint64: type = (.int, intType(&b, 64, signed: false))
            case .int32: type = (.int, intType(&b, 32, signed: true))
            case .bool: type = (.bool, emptyTable(&b))
            case .listUInt32:
                let itemType = intType(&b, 32, signed: false)
                children = [field(&b, name: "item", nullable: false, type: (.int, itemType), dictionary: nil, children: [])]
                type = (.list, emptyTable(&b))
            case .dictionaryBinary(_, let id, _, _):
                let index = intType(&b, 32, signed: true)
                b.startTable()
                b.add(0, id)
                b.addOffset(1, index)
                b.add(2, false)
                dictionary = b.endTable()
                type = (.binary, emptyTable(&b))
            }
            fields.append(field(&b, name: c.name, nullable: true, type: type, dictionary: dictionary, children: children))
        }
        let vector = b.vector(offsets: fields)
        b.startTable()
        b.add(0, Int16(0))  // little-endian
        b.addOffset(1, vector)
        let root = b.endTable()
        return (b, root)
    }

    static func intType(_ b: inout FlatBufferBuilder, _ bits: Int32, signed: Bool) -> Int {
        b.startTable()
        b.add(0, bits)
        b.add(1, signed)
        return b.endTable()
    }

    static func emptyTable(_ b: inout FlatBufferBuilder) -> Int {
        b.startTable()
        return b.endTable()
    }

    static func field(_ b: inout FlatBufferBuilder, name: String, nullable: Bool, type: (TypeID, Int), dictionary: Int?, children: [Int]) -> Int {
        let nameOffset = b.string(name)
        let childrenOffset = b.vector(offsets: children)
        b.startTable()
        b.addOffset(0, nameOffset)
        b.add(1, nullable)
        b.add(2, type.0.rawValue)
        b.addOffset(3, type.1)
        if let dictionary { b.addOffset(4, dictionary) }
        b.addOffset(5, childrenOffset)
        return b.endTable()
    }

    static func message(_ built: (FlatBufferBuilder, Int), header: Header, body: [UInt8]) -> [UInt8] {
        message(built.0, root: built.1, header: header, body: body)
    }

    /// Wraps the header table `root` (built in `b`) in a `Message`, frames it, appends the body.
    static func message(_ b: FlatBufferBuilder, root: Int, header: Header, body: [UInt8]) -> [UInt8] {
        var b = b
        b.startTable()
        b.add(0, metadataV5)
        b.add(1, header.rawValue)
        b.addOffset(2, root)
        b.add(3, Int64(body.count))
        let message = b.endTable()
        var metadata = b.finish(message)
        metadata += repeatElement(0, count: (8 - metadata.count % 8) % 8)
        var out: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        withUnsafeBytes(of: Int32(metadata.count).littleEndian) { out += $0 }
        return out + metadata + body
    }
}
