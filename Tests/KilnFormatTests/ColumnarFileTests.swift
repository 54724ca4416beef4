import KilnBytes
import KilnTestSupport
import Testing

@testable import KilnFormat

@Suite struct ColumnarFileTests {
    static let schemas = [
        TableSchema(
            "profiles",
            [
                ColumnSchema("series", .uint64, [.runLength, .frameOfReference]),
                ColumnSchema("time", .int64, [.deltaBitPacked, .varint]),
            ]),
        TableSchema("names", [ColumnSchema("value", .bytes, [.plain])]),
    ]

    /// A file with two tables, interleaved row groups, and pages split at `Page.maxRowsWritten`.
    static func sample(codec: PageCodec = .lz4) throws -> (bytes: [UInt8], series: [UInt64], times: [UInt64], names: [[UInt8]]) {
        var out: [UInt8] = []
        var w = try ColumnarWriter(schemas: schemas, codec: codec) { out += $0 }
        let n = 10_000 + Page.maxRowsWritten + 1000
        let series = (0..<n).map { UInt64($0 / 1000) }
        let times = (0..<n).map { UInt64(bitPattern: 1_700_000_000_000_000_000 + Int64($0 % 1000) * 15_000_000_000) }
        let names = (0..<50).map { Array("name-\($0)".utf8) }
        try w.append(table: "profiles", columns: [.integers(Array(series[..<10_000])), .integers(Array(times[..<10_000]))])
        try w.append(table: "names", columns: [.bytes(names)])
        try w.append(table: "profiles", columns: [.integers(Array(series[10_000...])), .integers(Array(times[10_000...]))])
        let size = try w.finish()
        #expect(size == out.count)
        return (out, series, times, names)
    }

    @Test func roundTripsTablesRowGroupsAndPages() throws {
        let (bytes, series, times, names) = try Self.sample()
        let file = try ColumnarFile(bytes: bytes)
        let profiles = try #require(file.table("profiles"))
        #expect(profiles.rows == series.count)
        #expect(profiles.rowGroups.count == 2)
        #expect(profiles.pages(column: 0).count == 3)  // 10 000 rows, then 17 384 split at 16 384
        #expect(try file.column(profiles, 0, in: bytes) == .integers(series))
        #expect(try file.column(profiles, 1, in: bytes) == .integers(times))
        #expect(try file.column(try #require(file.table("names")), 0, in: bytes) == .bytes(names))
        // Page statistics let a reader skip: only pages holding series 12 overlap [12, 12].
        let hits = profiles.pages(column: 0).filter { $0.statistics!.overlaps(12, 12, signed: false) }
        #expect(hits.count == 1 && hits[0].rowRange.contains(12_000))
    }

    @Test func opensFromARangedTailInOneOrTwoReads() throws {
        let (bytes, _, _, _) = try Self.sample()
        let whole = try ColumnarFile(bytes: bytes)
        // A guess too small for the footer: the reader asks for exactly the rest.
        let small = ColumnarFile.tailRange(fileSize: bytes.count, guess: 20)
        guard case .needsRange(let needed) = try ColumnarFile.open(tail: Array(bytes[small]), fileSize: bytes.count) else {
            Issue.record("a 20-byte tail cannot hold the footer")
            return
        }
        guard case .opened(let file) = try ColumnarFile.open(tail: Array(bytes[needed]), fileSize: bytes.count) else {
            Issue.record("the requested range must be enough")
            return
        }
        #expect(file.footer == whole.footer)
        // A page decodes from just its own bytes.
        let page = file.table("profiles")!.pages(column: 1)[1]
        let values = try ColumnarFile.decodePage(Array(bytes[page.range]), bytesOffset: page.offset, at: page, type: .int64)
        #expect(values.count == page.rows)
    }

    /// The corrupt-input table: each case names the damage, and the error must
    /// say where (an offset inside the file) — never a crash, never wrong values.
    static let corruptions: [(name: String, damage: @Sendable ([UInt8]) -> [UInt8], expect: String)] = [
        ("truncated file", { Array($0.prefix($0.count / 2)) }, "magic"),
        (
            "bad trailing magic",
            {
                var b = $0
                b[b.count - 1] ^= 0xFF
                return b
            }, "magic"
        ),
        (
            "bad footer CRC",
            {
                var b = $0
                b[b.count - 20] ^= 0x01
                return b
            }, "footer CRC32C mismatch"
        ),
        (
            "footer length past the start",
            {
                var b = $0
                b[b.count - 12] = 0xFF
                b[b.count - 11] = 0xFF
                b[b.count - 10] = 0xFF
                return b
            }, "footer length"
        ),
        (
            "bad leading magic",
            {
                var b = $0
                b[0] = 0
                return b
            }, "leading magic"
        ),
        (
            "unsupported version",
            {
                var b = $0
                b[4] = 99
                return b
            }, "version 99"
        ),
        (
            "bad page CRC",
            {
                var b = $0
                b[ColumnarFormat.headerSize + 40] ^= 0x10
                return b
            }, "page CRC32C mismatch"
        ),
        (
            "unknown encoding",
            {
                var b = $0
                b[ColumnarFormat.headerSize] = 9
                return b
            }, "unknown page encoding 9"
        ),
        (
            "unknown codec",
            {
                var b = $0
                b[ColumnarFormat.headerSize + 1] = 7
                return b
            }, "unknown page codec 7"
        ),
    ]

    @Test(arguments: corruptions.indices)
    func corruptInputIsAnErrorWithAnOffset(_ i: Int) throws {
        let c = Self.corruptions[i]
        let bytes = c.damage(try Self.sample().bytes)
        do {
            let file = try ColumnarFile(bytes: bytes)
            for t in file.footer.tables { for col in t.columns.indices { _ = try file.column(t, col, in: bytes) } }
            Issue.record("\(c.name): no error")
        } catch {
            #expect(error.reason.contains(c.expect), "\(c.name): \(error)")
            #expect(error.offset >= 0 && error.offset <= bytes.count, "\(c.name): \(error)")
        }
    }
}

/// Inputs the fuzzer found crashing, kept as regression cases (testdata/columnar/).
@Suite struct ColumnarFuzzRegressionTests {
    @Test(arguments: ["fuzz-page-body-past-end"])
    func decodesWithoutCrashing(_ name: String) throws {
        let bytes = try TestData.bytes("columnar/" + name)
        for type in ColumnType.allCases {
            #expect(throws: DecodeError.self) {
                try bytes.withDecodableBytes { buffer throws(DecodeError) in
                    var r = ByteReader(buffer)
                    return try Page.decode(&r, type: type)
                }
            }
        }
        #expect(throws: DecodeError.self) { try ColumnarFile(bytes: bytes) }
    }
}
