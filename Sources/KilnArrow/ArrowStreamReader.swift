import KilnCompression

/// Reads an Arrow IPC **stream** (docs/format/arrow-ipc.md has the subset):
/// the Schema message, dictionary batches and record batches, with
/// LZ4-frame or zstd compressed bodies, into `ArrowArray`s whose every
/// offset, size, view, run end and dictionary index has been checked.
///
/// Pure and bounded: the input is one byte array; decompressed buffers may
/// total at most `maxBytes`; nesting deeper than `maxDepth` is refused.
/// Anything malformed or outside the subset throws `ArrowReadError` with
/// the stream offset. Cost: O(input + decompressed bytes).
public struct ArrowStreamReader {
    /// The stream's schema, dictionaries (by id) and record batches.
    public struct Stream: Sendable {
        public var fields: [ArrowField]
        public var metadata: [String: String]
        public var dictionaries: [Int64: ArrowArray]
        public var batches: [RecordBatch]

        /// The values of dictionary-encoded `array`.
        public func dictionary(of array: ArrowArray) -> ArrowArray? { array.field.dictionary.flatMap { dictionaries[$0.id] } }
    }

    public struct RecordBatch: Sendable {
        public var length: Int
        public var columns: [ArrowArray]

        public func column(_ name: String) -> ArrowArray? { columns.first { $0.field.name == name } }
    }

    /// Nesting Kiln's readers need (Parca's v2 samples nest five deep) with room to spare.
    public static let maxDepth = 16
    /// Decompressed bytes of a stream by default: Parca Agent's 32 MiB message limit, inflated at most 8×.
    public static let defaultMaxBytes = 256 << 20

    let bytes: [UInt8]
    let maxBytes: Int
    var decompressed = 0

    public static func read(_ bytes: [UInt8], maxBytes: Int = defaultMaxBytes) throws(ArrowReadError) -> Stream {
        var reader = ArrowStreamReader(bytes: bytes, maxBytes: maxBytes)
        return try reader.stream()
    }

    // Arrow's FlatBuffer enums (Message.fbs, Schema.fbs).
    static let schemaHeader: UInt8 = 1
    static let dictionaryBatchHeader: UInt8 = 2
    static let recordBatchHeader: UInt8 = 3
    static let lz4Frame: UInt8 = 0
    static let zstd: UInt8 = 1
    static let continuation: UInt32 = 0xFFFF_FFFF

    mutating func stream() throws(ArrowReadError) -> Stream {
        var at = 0
        var schema: (fields: [ArrowField], metadata: [String: String])?
        var out = Stream(fields: [], metadata: [:], dictionaries: [:], batches: [])
        var byID: [Int64: ArrowField] = [:]
        while true {
            guard at + 4 <= bytes.count else {
                // A stream may end without the end-of-stream marker (as pyarrow's writers allow when not closed).
                guard at == bytes.count, schema != nil else { throw ArrowReadError(offset: at, "stream ends inside a message header") }
                break
            }
            var length = Int(LittleEndian.u32(bytes, at))
            var metadataStart = at + 4
            if UInt32(length) == Self.continuation {
                guard at + 8 <= bytes.count else { throw ArrowReadError(offset: at, "stream ends inside a message header") }
                length = Int(LittleEndian.u32(bytes, at + 4))
                metadataStart = at + 8
            }
            if length == 0 { break }
            guard length <= bytes.count - metadataStart else {
                throw ArrowReadError(offset: at, "message metadata of \(length) bytes runs past the end of the stream")
            }
            let fb = FlatBufferReader(bytes: Array(bytes[metadataStart..<(metadataStart + length)]), base: metadataStart)
            let message = try fb.root()
            let headerType = try fb.u8(message, 1)
            let bodyLength = try fb.i64(message, 3)
            let bodyStart = metadataStart + length
            guard bodyLength >= 0, bodyLength <= bytes.count - bodyStart else {
                throw ArrowReadError(offset: metadataStart, "message body of \(bodyLength) bytes runs past the end of the stream")
            }
            let body = bodyStart..<(bodyStart + Int(bodyLength))
            guard let header = try fb.table(message, 2) else { throw ArrowReadError(offset: metadataStart, "message has no header") }
            switch headerType {
            case Self.schemaHeader:
                guard schema == nil else { throw ArrowReadError(offset: metadataStart, "a second Schema message") }
                let s = try ArrowSchemaReader.schema(fb, header)
                schema = s
                (out.fields, out.metadata) = s
                try ArrowSchemaReader.collectDictionaries(s.fields, into: &byID, depth: 0, fb: fb)
            case Self.dictionaryBatchHeader:
                guard schema != nil else { throw ArrowReadError(offset: metadataStart, "a dictionary batch before the schema") }
                let id = try fb.i64(header, 0)
                guard var field = byID[id] else { throw ArrowReadError(offset: metadataStart, "dictionary batch for unknown dictionary id \(id)") }
                guard !(try fb.bool(header, 2)) else {
                    throw ArrowReadError(offset: metadataStart, "delta dictionary batches (id \(id)) are not supported")
                }
                guard let data = try fb.table(header, 1) else { throw ArrowReadError(offset: metadataStart, "dictionary batch \(id) has no data") }
                field.dictionary = nil
                let batch = try recordBatch(fb, data, body: body, fields: [field])
                out.dictionaries[id] = batch.columns[0]
            case Self.recordBatchHeader:
                guard let schema else { throw ArrowReadError(offset: metadataStart, "a record batch before the schema") }
                let batch = try recordBatch(fb, header, body: body, fields: schema.fields)
                for c in batch.columns { try ArrowValidation.dictionaryIndices(c, out.dictionaries, offset: metadataStart, depth: 0) }
                out.batches.append(batch)
            default:
                throw ArrowReadError(offset: metadataStart, "message type \(headerType) is not read (only Schema, DictionaryBatch, RecordBatch)")
            }
            at = body.upperBound
        }
        guard schema != nil else { throw ArrowReadError(offset: 0, "stream has no Schema message") }
        return out
    }

    /// A RecordBatch table's arrays for `fields`, its buffers cut from `body`.
    mutating func recordBatch(
        _ fb: FlatBufferReader, _ t: FlatBufferReader.Table, body: Range<Int>, fields: [ArrowField]
    ) throws(ArrowReadError) -> RecordBatch {
        let length = try fb.i64(t, 0)
        var codec: UInt8?
        if let c = try fb.table(t, 3) {
            codec = try fb.u8(c, 0)
            guard codec == Self.lz4Frame || codec == Self.zstd else {
                throw fb.error(c.position, "body compression codec \(codec!) is not LZ4_FRAME or ZSTD")
            }
            guard try fb.u8(c, 1) == 0 else { throw fb.error(c.position, "body compression method is not BUFFER") }
        }
        let nodes = try fb.vector(t, 1, stride: 16)
        let buffers = try fb.vector(t, 2, stride: 16)
        let variadic = try fb.vector(t, 4, stride: 8)
        var cursor = BodyCursor(
            fb: fb, nodes: nodes, buffers: buffers, variadic: variadic, body: body, codec: codec)
        var columns: [ArrowArray] = []
        for f in fields { columns.append(try array(f, &cursor, depth: 0)) }
        guard length >= 0, columns.allSatisfy({ $0.length == Int(length) }) else {
            throw fb.error(t.position, "record batch of \(length) rows has columns of other lengths")
        }
        return RecordBatch(length: Int(length), columns: columns)
    }

    /// Reads field `f`'s node, buffers and children (pre-order, as the IPC format lays them out).
    mutating func array(_ f: ArrowField, _ c: inout BodyCursor, depth: Int) throws(ArrowReadError) -> ArrowArray {
        guard depth < Self.maxDepth else { throw c.fb.error(0, "field \(f.name) nests deeper than \(Self.maxDepth)") }
        let (length, nullCount) = try c.node()
        var buffers: [[UInt8]] = []
        var children: [ArrowArray] = []
        var validity: [UInt8]?
        func takeValidity(_ reader: inout ArrowStreamReader) throws(ArrowReadError) {
            let v = try c.buffer(&reader)
            if nullCount > 0 || !v.isEmpty { validity = v }
        }
        if f.dictionary != nil {
            try takeValidity(&self)
            buffers = [try c.buffer(&self)]
        } else {
            switch f.type {
            case .null: break
            case .bool, .int, .fixedSizeBinary, .timestamp:
                try takeValidity(&self)
                buffers = [try c.buffer(&self)]
            case .binary, .utf8, .largeBinary, .largeUtf8:
                try takeValidity(&self)
                buffers = [try c.buffer(&self), try c.buffer(&self)]
            case .binaryView, .utf8View:
                try takeValidity(&self)
                buffers = [try c.buffer(&self)]
                for _ in 0..<(try c.variadicCount()) { buffers.append(try c.buffer(&self)) }
            case .list, .largeList:
                try takeValidity(&self)
                buffers = [try c.buffer(&self)]
                children = [try array(try Self.only(f, c), &c, depth: depth + 1)]
            case .listView, .largeListView:
                try takeValidity(&self)
                buffers = [try c.buffer(&self), try c.buffer(&self)]
                children = [try array(try Self.only(f, c), &c, depth: depth + 1)]
            case .structure:
                try takeValidity(&self)
                for child in f.children { children.append(try array(child, &c, depth: depth + 1)) }
            case .runEndEncoded:
                guard f.children.count == 2 else { throw c.fb.error(0, "run-end-encoded field \(f.name) has \(f.children.count) children, not 2") }
                for child in f.children { children.append(try array(child, &c, depth: depth + 1)) }
            }
        }
        let a = ArrowArray(field: f, length: length, nullCount: nullCount, validity: validity, buffers: buffers, children: children)
        try ArrowValidation.check(a, offset: c.body.lowerBound)
        return a
    }

    static func only(_ f: ArrowField, _ c: BodyCursor) throws(ArrowReadError) -> ArrowField {
        guard f.children.count == 1 else { throw c.fb.error(0, "list field \(f.name) has \(f.children.count) children, not 1") }
        return f.children[0]
    }

    /// Counts decompressed bytes against `maxBytes`.
    mutating func charge(_ n: Int, at offset: Int) throws(ArrowReadError) {
        decompressed += n
        guard decompressed <= maxBytes else {
            throw ArrowReadError(offset: offset, "stream inflates past the limit of \(maxBytes) bytes")
        }
    }
}
