import KilnBytes

/// Where one page lies and what it holds, from the footer's page index: a
/// reader picks pages by row range and statistics without reading any page.
public struct PageLocation: Sendable, Equatable {
    /// Absolute offset of the page header in the file.
    public var offset: Int
    /// Header plus body.
    public var size: Int
    /// Index of the page's first row within its table.
    public var firstRow: Int
    public var rows: Int
    public var statistics: PageStatistics?

    public var range: Range<Int> { offset..<(offset + size) }
    public var rowRange: Range<Int> { firstRow..<(firstRow + rows) }
}

/// A column chunk: one column's pages within one row group, contiguous.
public struct ColumnChunkMeta: Sendable, Equatable {
    public var pages: [PageLocation]

    public var range: Range<Int> {
        guard let first = pages.first, let last = pages.last else { return 0..<0 }
        return first.offset..<(last.offset + last.size)
    }
}

public struct RowGroupMeta: Sendable, Equatable {
    public var firstRow: Int
    public var rows: Int
    /// One chunk per column of the table, in schema order.
    public var columns: [ColumnChunkMeta]
}

/// A table as the footer records it.
public struct TableMeta: Sendable, Equatable {
    public var name: String
    public var columns: [(name: String, type: ColumnType)]
    public var rowGroups: [RowGroupMeta]

    public var rows: Int { rowGroups.last.map { $0.firstRow + $0.rows } ?? 0 }

    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }

    /// The pages of `column` in row order.
    public func pages(column: Int) -> [PageLocation] { rowGroups.flatMap { $0.columns[column].pages } }

    public static func == (a: TableMeta, b: TableMeta) -> Bool {
        a.name == b.name && a.rowGroups == b.rowGroups
            && a.columns.map(\.name) == b.columns.map(\.name) && a.columns.map(\.type) == b.columns.map(\.type)
    }
}

/// The footer of a columnar file (docs/format/block.md, "Footer"): every
/// table's schema, row groups, column chunks and page index.
public struct ColumnarFooter: Sendable, Equatable {
    public var tables: [TableMeta]

    public init(tables: [TableMeta]) { self.tables = tables }

    public func table(_ name: String) -> TableMeta? { tables.first { $0.name == name } }

    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.uvarint(tables.count)
        for t in tables {
            w.string(t.name)
            w.uvarint(t.columns.count)
            for c in t.columns {
                w.string(c.name)
                w.uint8(c.type.rawValue)
            }
            w.uvarint(t.rowGroups.count)
            for g in t.rowGroups {
                w.uvarint(g.rows)
                for (i, chunk) in g.columns.enumerated() {
                    w.uvarint(chunk.range.lowerBound)
                    w.uvarint(chunk.pages.count)
                    for p in chunk.pages {
                        w.uvarint(p.size)
                        w.uvarint(p.rows)
                        w.uint8(p.statistics == nil ? 0 : PageHeader.hasStatistics)
                        if let s = p.statistics {
                            w.integer(s.min, signed: t.columns[i].type.isSigned)
                            w.integer(s.max, signed: t.columns[i].type.isSigned)
                        }
                    }
                }
            }
        }
        return w.bytes
    }

    /// Decodes and checks a footer: every page lies within `dataRange` (the
    /// bytes between the file header and the footer), and every column's
    /// pages add up to its row group's rows.
    public static func decode(_ r: inout ByteReader, dataRange: Range<Int>) throws(DecodeError) -> ColumnarFooter {
        var tables: [TableMeta] = []
        let tableCount = try r.count(minBytesEach: 3)
        for _ in 0..<tableCount {
            let name = try r.string()
            var columns: [(name: String, type: ColumnType)] = []
            for _ in 0..<(try r.count(minBytesEach: 2)) {
                let columnName = try r.string()
                let typeAt = r.offset
                let typeByte = try r.uint8()
                guard let type = ColumnType(rawValue: typeByte) else {
                    throw DecodeError(offset: r.baseOffset + typeAt, reason: "unknown column type \(typeByte) in table \(name)")
                }
                columns.append((columnName, type))
            }
            var groups: [RowGroupMeta] = []
            var firstRow = 0
            for _ in 0..<(try r.count(minBytesEach: 1 + 2 * columns.count)) {
                let rowsAt = r.offset
                let rows = Int(clamping: try r.uvarint())
                var chunks: [ColumnChunkMeta] = []
                for column in columns {
                    var offset = Int(clamping: try r.uvarint())
                    var pages: [PageLocation] = []
                    var pageRow = firstRow
                    for _ in 0..<(try r.count(minBytesEach: 3)) {
                        let at = r.offset
                        let size = Int(clamping: try r.uvarint())
                        let pageRows = Int(clamping: try r.uvarint())
                        let flags = try r.uint8()
                        var stats: PageStatistics?
                        if flags & PageHeader.hasStatistics != 0 {
                            stats = PageStatistics(min: try r.integer(signed: column.type.isSigned), max: try r.integer(signed: column.type.isSigned))
                        }
                        guard offset >= dataRange.lowerBound, size > 0, size <= dataRange.upperBound - offset else {
                            throw DecodeError(
                                offset: r.baseOffset + at, reason: "page of column \(name).\(column.name) at \(offset)+\(size) lies outside the data")
                        }
                        guard pageRows <= Page.maxRowsRead else {
                            throw DecodeError(offset: r.baseOffset + at, reason: "page of \(pageRows) rows exceeds the limit of \(Page.maxRowsRead)")
                        }
                        pages.append(PageLocation(offset: offset, size: size, firstRow: pageRow, rows: pageRows, statistics: stats))
                        offset += size
                        pageRow += pageRows
                    }
                    guard pageRow - firstRow == rows else {
                        throw DecodeError(
                            offset: r.baseOffset + rowsAt,
                            reason: "column \(name).\(column.name) has \(pageRow - firstRow) rows in a row group of \(rows)")
                    }
                    chunks.append(ColumnChunkMeta(pages: pages))
                }
                groups.append(RowGroupMeta(firstRow: firstRow, rows: rows, columns: chunks))
                let (sum, overflow) = firstRow.addingReportingOverflow(rows)
                guard !overflow else { throw DecodeError(offset: r.baseOffset + rowsAt, reason: "row count overflows") }
                firstRow = sum
            }
            tables.append(TableMeta(name: name, columns: columns, rowGroups: groups))
        }
        guard r.atEnd else { throw r.error("\(r.remaining) bytes left over after the footer's tables") }
        return ColumnarFooter(tables: tables)
    }
}
