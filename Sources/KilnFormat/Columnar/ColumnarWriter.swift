import KilnBytes

/// Writes a columnar file front to back through `sink`, one row group at a
/// time, so a writer holds one row group in memory, never the whole file
/// (what lets compaction run in bounded memory).
///
/// Layout (docs/format/block.md): header, the row groups' column chunks in
/// the order they are appended (tables may interleave), footer, trailer.
public struct ColumnarWriter {
    public let schemas: [TableSchema]
    public let codec: PageCodec
    /// Bytes written so far.
    public private(set) var offset = 0
    private var tables: [TableMeta]
    private let sink: ([UInt8]) throws -> Void

    /// Writes the file header.
    public init(schemas: [TableSchema], codec: PageCodec, sink: @escaping ([UInt8]) throws -> Void) throws {
        self.schemas = schemas
        self.codec = codec
        self.sink = sink
        tables = schemas.map { s in TableMeta(name: s.name, columns: s.columns.map { ($0.name, $0.type) }, rowGroups: []) }
        try write(ColumnarFormat.magic + [ColumnarFormat.version, 0, 0, 0])
    }

    private mutating func write(_ bytes: [UInt8]) throws {
        try sink(bytes)
        offset += bytes.count
    }

    /// Appends a row group of `table`: one `ColumnValues` per column, in schema
    /// order, all of the same length; cut into pages of at most `Page.maxRowsWritten`.
    public mutating func append(table: Int, columns: [ColumnValues]) throws {
        let schema = schemas[table]
        precondition(columns.count == schema.columns.count, "one value array per column of \(schema.name)")
        let rows = columns.first?.count ?? 0
        precondition(columns.allSatisfy { $0.count == rows }, "columns of \(schema.name) differ in length")
        guard rows > 0 else { return }
        let firstRow = tables[table].rows
        var chunks: [ColumnChunkMeta] = []
        for (c, values) in columns.enumerated() {
            var pages: [PageLocation] = []
            var start = 0
            while start < rows {
                let end = min(start + Page.maxRowsWritten, rows)
                let slice = values.slice(start..<end)
                let page = try Page.encode(slice, type: schema.columns[c].type, encodings: schema.columns[c].encodings, codec: codec)
                pages.append(
                    PageLocation(offset: offset, size: page.bytes.count, firstRow: firstRow + start, rows: end - start, statistics: page.statistics))
                try write(page.bytes)
                start = end
            }
            chunks.append(ColumnChunkMeta(pages: pages))
        }
        tables[table].rowGroups.append(RowGroupMeta(firstRow: firstRow, rows: rows, columns: chunks))
    }

    public mutating func append(table name: String, columns: [ColumnValues]) throws {
        guard let i = schemas.firstIndex(where: { $0.name == name }) else { preconditionFailure("no table \(name)") }
        try append(table: i, columns: columns)
    }

    /// Writes the footer and trailer. The writer must not be used afterwards.
    /// - Returns: the file's total size.
    @discardableResult
    public mutating func finish() throws -> Int {
        let footer = ColumnarFooter(tables: tables).encode()
        var trailer = ByteWriter()
        trailer.uint32LE(UInt32(footer.count))
        trailer.uint32LE(CRC32C.checksum(footer))
        trailer.append(ColumnarFormat.magic)
        try write(footer + trailer.bytes)
        return offset
    }
}
