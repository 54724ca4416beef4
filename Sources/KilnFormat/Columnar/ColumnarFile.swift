import KilnBytes

/// A columnar file's footer, read without I/O: the caller fetches the byte
/// ranges this type asks for (the tail, then the pages it needs), from a local
/// file, an S3 ranged GET or a fuzzer's buffer alike.
///
/// Opening takes one or two reads: `tailRange` fetches the trailer and, by a
/// guess, the footer before it; if the footer is longer than the guess,
/// `open` answers with the exact range still needed.
public struct ColumnarFile: Sendable {
    public let size: Int
    public let footer: ColumnarFooter

    /// Bytes fetched from the end on the first read: most footers fit.
    public static let defaultTailGuess = 64 << 10

    public enum Opening: Sendable {
        case opened(ColumnarFile)
        /// Fetch this range (it ends at the end of the file) and call `open` again.
        case needsRange(Range<Int>)
    }

    /// The range to fetch first.
    public static func tailRange(fileSize: Int, guess: Int = defaultTailGuess) -> Range<Int> {
        max(0, fileSize - guess)..<fileSize
    }

    /// Parses the trailer and footer from `tail`, the last `tail.count` bytes
    /// of a file of `fileSize` bytes.
    /// - Throws: `DecodeError` (offsets absolute in the file) for a short file,
    ///   bad magic, an unsupported version, a footer CRC mismatch or a malformed footer.
    public static func open(tail: [UInt8], fileSize: Int) throws(DecodeError) -> Opening {
        let minimum = ColumnarFormat.headerSize + ColumnarFormat.trailerSize
        guard fileSize >= minimum else {
            throw DecodeError(offset: 0, reason: "file of \(fileSize) bytes is shorter than the \(minimum)-byte minimum")
        }
        guard tail.count >= ColumnarFormat.trailerSize, tail.count <= fileSize else {
            throw DecodeError(offset: fileSize - tail.count, reason: "tail of \(tail.count) bytes cannot hold the trailer")
        }
        let base = fileSize - tail.count
        return try tail.withDecodableBytes { buffer throws(DecodeError) -> Opening in
            var r = ByteReader(buffer, range: (tail.count - ColumnarFormat.trailerSize)..<tail.count, baseOffset: base)
            let length = Int(try r.uint32LE())
            let crc = try r.uint32LE()
            let magicAt = r.offset
            guard Array(buffer[magicAt..<(magicAt + 4)]) == ColumnarFormat.magic else {
                throw DecodeError(offset: base + magicAt, reason: "bad trailing magic (not a Kiln columnar file, or truncated)")
            }
            let footerStart = fileSize - ColumnarFormat.trailerSize - length
            guard length <= ColumnarFormat.maxFooterLength, footerStart >= ColumnarFormat.headerSize else {
                throw DecodeError(
                    offset: fileSize - ColumnarFormat.trailerSize, reason: "footer length \(length) does not fit a file of \(fileSize) bytes")
            }
            guard footerStart >= base else { return .needsRange(footerStart..<fileSize) }
            let local = footerStart - base
            let footerBytes = UnsafeRawBufferPointer(rebasing: buffer[local..<(local + length)])
            let computed = CRC32C.checksum(footerBytes)
            guard computed == crc else {
                throw DecodeError(offset: footerStart, reason: "footer CRC32C mismatch (stored \(Page.hex(crc)), computed \(Page.hex(computed)))")
            }
            var footerReader = ByteReader(buffer, range: local..<(local + length), baseOffset: base)
            let footer = try ColumnarFooter.decode(&footerReader, dataRange: ColumnarFormat.headerSize..<footerStart)
            return .opened(ColumnarFile(size: fileSize, footer: footer))
        }
    }

    /// Opens a file held whole in memory, checking its header too.
    public init(bytes: [UInt8]) throws(DecodeError) {
        guard bytes.count >= ColumnarFormat.headerSize, Array(bytes[0..<4]) == ColumnarFormat.magic else {
            throw DecodeError(offset: 0, reason: "bad leading magic (not a Kiln columnar file)")
        }
        guard bytes[4] == ColumnarFormat.version else {
            throw DecodeError(offset: 4, reason: "unsupported columnar format version \(bytes[4]) (this build reads \(ColumnarFormat.version))")
        }
        switch try Self.open(tail: bytes, fileSize: bytes.count) {
        case .opened(let file): self = file
        case .needsRange(let r): throw DecodeError(offset: r.lowerBound, reason: "footer outside the file")
        }
    }

    private init(size: Int, footer: ColumnarFooter) {
        self.size = size
        self.footer = footer
    }

    public func table(_ name: String) -> TableMeta? { footer.table(name) }

    /// Decodes the page at `location` from `bytes`, which hold the file's
    /// bytes from offset `bytesOffset` on (a whole file: 0; a ranged read: its start).
    public static func decodePage(_ bytes: [UInt8], bytesOffset: Int = 0, at location: PageLocation, type: ColumnType) throws(DecodeError)
        -> ColumnValues
    {
        let local = location.offset - bytesOffset
        guard local >= 0, local + location.size <= bytes.count else {
            throw DecodeError(offset: location.offset, reason: "page outside the bytes read")
        }
        return try bytes.withDecodableBytes { buffer throws(DecodeError) -> ColumnValues in
            var r = ByteReader(buffer, range: local..<(local + location.size), baseOffset: bytesOffset)
            let (header, values) = try Page.decode(&r, type: type)
            guard header.rows == location.rows, r.atEnd else {
                throw DecodeError(
                    offset: location.offset,
                    reason:
                        "page holds \(header.rows) rows in \(location.size - r.remaining) bytes; the footer says \(location.rows) rows in \(location.size)"
                )
            }
            return values
        }
    }

    /// Decodes the integer page at `location` into `decoder.values`, as
    /// `decodePage(_:bytesOffset:at:type:)` but into the decoder's buffers.
    public static func decodePage(
        _ bytes: [UInt8], bytesOffset: Int = 0, at location: PageLocation, type: ColumnType,
        into decoder: inout PageDecoder
    ) throws(DecodeError) {
        let local = location.offset - bytesOffset
        guard local >= 0, local + location.size <= bytes.count else {
            throw DecodeError(offset: location.offset, reason: "page outside the bytes read")
        }
        try bytes.withDecodableBytes { buffer throws(DecodeError) in
            var r = ByteReader(buffer, range: local..<(local + location.size), baseOffset: bytesOffset)
            let header = try decoder.decode(&r, type: type)
            guard header.rows == location.rows, r.atEnd else {
                throw DecodeError(
                    offset: location.offset,
                    reason:
                        "page holds \(header.rows) rows in \(location.size - r.remaining) bytes; the footer says \(location.rows) rows in \(location.size)"
                )
            }
        }
    }

    /// All values of a column, decoded from `bytes`: the file's bytes from
    /// offset `bytesOffset` on (a whole file: 0; `table`'s span: its start).
    public func column(_ table: TableMeta, _ column: Int, in bytes: [UInt8], bytesOffset: Int = 0) throws(DecodeError) -> ColumnValues {
        let type = table.columns[column].type
        var ints: [UInt64] = []
        var strings: [[UInt8]] = []
        for page in table.pages(column: column) {
            switch try Self.decodePage(bytes, bytesOffset: bytesOffset, at: page, type: type) {
            case .integers(let v): ints.append(contentsOf: v)
            case .bytes(let v): strings.append(contentsOf: v)
            }
        }
        return type == .bytes ? .bytes(strings) : .integers(ints)
    }
}
