import KilnBytes
import KilnCompression

/// Minimum and maximum of a page's values, as 64-bit patterns ordered by the
/// column type (signed for `int64`). Byte-string pages carry none.
public struct PageStatistics: Sendable, Equatable {
    public var min: UInt64
    public var max: UInt64

    public init(min: UInt64, max: UInt64) {
        self.min = min
        self.max = max
    }

    /// Whether `[low, high]` (inclusive, same ordering) overlaps the page's values.
    public func overlaps(_ low: UInt64, _ high: UInt64, signed: Bool) -> Bool {
        signed
            ? Int64(bitPattern: min) <= Int64(bitPattern: high) && Int64(bitPattern: max) >= Int64(bitPattern: low)
            : min <= high && max >= low
    }

    static func of(_ values: [UInt64], signed: Bool) -> PageStatistics? {
        guard !values.isEmpty else { return nil }
        if signed {
            let s = values.map { Int64(bitPattern: $0) }
            return PageStatistics(min: UInt64(bitPattern: s.min()!), max: UInt64(bitPattern: s.max()!))
        }
        return PageStatistics(min: values.min()!, max: values.max()!)
    }
}

/// A page header (docs/format/block.md, "Page"):
///
///     encoding u8 | codec u8 | flags u8 | rows uvarint | raw size uvarint |
///     stored size uvarint | [min, max] | CRC32C u32 LE
///
/// The CRC32C covers the header bytes before it and the stored body.
public struct PageHeader: Sendable, Equatable {
    public var encoding: ColumnEncoding
    public var codec: PageCodec
    public var rows: Int
    /// Size of the encoded values before compression.
    public var rawSize: Int
    /// Size of the body as stored (after compression).
    public var storedSize: Int
    public var statistics: PageStatistics?
    /// Bytes the header itself takes, CRC included.
    public var headerSize: Int

    /// Header flag bit 0: min and max follow.
    static let hasStatistics: UInt8 = 1
}

/// Encodes and decodes one page of a column.
public enum Page {
    /// Most rows a writer puts in a page: with 20-bit stack ids that is ~40 KB
    /// encoded, a good unit for ranged reads and for lz4/zstd.
    public static let maxRowsWritten = 16_384
    /// Most rows and raw bytes a reader accepts in one page: bounds what a
    /// hostile header can make it allocate.
    public static let maxRowsRead = 1 << 20
    public static let maxRawSize = 64 << 20

    /// Encodes `values` with whichever of `encodings` is smallest, compresses
    /// the result with `codec` when that makes it smaller, and returns header +
    /// body and the statistics the header carries (for the footer's page index).
    public static func encode(
        _ values: ColumnValues, type: ColumnType, encodings: [ColumnEncoding],
        codec: PageCodec
    ) throws -> (bytes: [UInt8], statistics: PageStatistics?) {
        var best: (encoding: ColumnEncoding, bytes: [UInt8])?
        for encoding in encodings where type == .bytes ? encoding == .plain : true {
            var w = ByteWriter()
            switch values {
            case .bytes(let v): PlainEncoding.encode(v, into: &w)
            case .integers(let v): encodeIntegers(v, encoding, signed: type.isSigned, into: &w)
            }
            if best == nil || w.count < best!.bytes.count { best = (encoding, w.bytes) }
        }
        guard let best else { throw CompressionError(.lz4, "no encoding applies to a \(type) column") }
        var stored = best.bytes
        var usedCodec = PageCodec.none
        switch codec {
        case .none: break
        case .lz4:
            let packed = try LZ4.compress(best.bytes)
            if packed.count < stored.count { (stored, usedCodec) = (packed, .lz4) }
        case .zstd:
            let packed = try Zstd.compress(best.bytes)
            if packed.count < stored.count { (stored, usedCodec) = (packed, .zstd) }
        }
        var h = ByteWriter(capacity: stored.count + 32)
        h.uint8(best.encoding.rawValue)
        h.uint8(usedCodec.rawValue)
        let stats: PageStatistics? = if case .integers(let v) = values { PageStatistics.of(v, signed: type.isSigned) } else { nil }
        h.uint8(stats == nil ? 0 : PageHeader.hasStatistics)
        h.uvarint(values.count)
        h.uvarint(best.bytes.count)
        h.uvarint(stored.count)
        if let stats {
            h.integer(stats.min, signed: type.isSigned)
            h.integer(stats.max, signed: type.isSigned)
        }
        let crc = CRC32C.checksum(stored, continuing: CRC32C.checksum(h.bytes))
        h.uint32LE(crc)
        h.append(stored)
        return (h.bytes, stats)
    }

    static func encodeIntegers(_ v: [UInt64], _ encoding: ColumnEncoding, signed: Bool, into w: inout ByteWriter) {
        switch encoding {
        case .plain: PlainEncoding.encode(v, into: &w)
        case .varint: VarintEncoding.encode(v, signed: signed, into: &w)
        case .deltaBitPacked: DeltaEncoding.encode(v, signed: signed, into: &w)
        case .frameOfReference: FrameOfReferenceEncoding.encode(v, signed: signed, into: &w)
        case .runLength: RunLengthEncoding.encode(v, signed: signed, into: &w)
        }
    }

    /// Reads the header of the page at `r`'s offset, leaving `r` at its body.
    public static func decodeHeader(_ r: inout ByteReader, type: ColumnType) throws(DecodeError) -> PageHeader {
        let start = r.offset
        let encodingByte = try r.uint8()
        guard let encoding = ColumnEncoding(rawValue: encodingByte) else {
            throw DecodeError(offset: r.baseOffset + start, reason: "unknown page encoding \(encodingByte)")
        }
        guard type != .bytes || encoding == .plain else {
            throw DecodeError(offset: r.baseOffset + start, reason: "encoding \(encoding) on a bytes column")
        }
        let codecByte = try r.uint8()
        guard let codec = PageCodec(rawValue: codecByte) else {
            throw DecodeError(offset: r.baseOffset + start + 1, reason: "unknown page codec \(codecByte)")
        }
        let flags = try r.uint8()
        guard flags & ~PageHeader.hasStatistics == 0 else {
            throw DecodeError(offset: r.baseOffset + start + 2, reason: "unknown page flags \(flags)")
        }
        let rows = try r.uvarint()
        guard rows <= UInt64(maxRowsRead) else { throw r.error("page of \(rows) rows exceeds the limit of \(maxRowsRead)") }
        let rawSize = try r.uvarint()
        guard rawSize <= UInt64(maxRawSize) else { throw r.error("page raw size \(rawSize) exceeds the limit of \(maxRawSize)") }
        let storedSize = try r.uvarint()
        var stats: PageStatistics?
        if flags & PageHeader.hasStatistics != 0 {
            guard type != .bytes else { throw r.error("statistics on a bytes column") }
            stats = PageStatistics(min: try r.integer(signed: type.isSigned), max: try r.integer(signed: type.isSigned))
        }
        let crcAt = r.offset
        let stored = try r.uint32LE()
        guard storedSize <= UInt64(r.remaining) else { throw r.error("page body of \(storedSize) bytes, \(r.remaining) left") }
        let computed = CRC32C.checksum(
            UnsafeRawBufferPointer(rebasing: r.bytes[r.offset..<(r.offset + Int(storedSize))]),
            continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: r.bytes[start..<crcAt])))
        guard stored == computed else {
            throw DecodeError(offset: r.baseOffset + start, reason: "page CRC32C mismatch (stored \(hex(stored)), computed \(hex(computed)))")
        }
        return PageHeader(
            encoding: encoding, codec: codec, rows: Int(rows), rawSize: Int(rawSize), storedSize: Int(storedSize),
            statistics: stats, headerSize: r.offset - start)
    }

    /// Decodes the page that starts at `r`'s offset and advances past it.
    /// Integer pages go through a `PageDecoder` (which hot loops keep and
    /// reuse); byte-string pages are decoded here.
    /// - Throws: `DecodeError` with the absolute offset for anything malformed:
    ///   a bad CRC, an unknown encoding or codec, a body that does not inflate
    ///   to its raw size, values that do not fill it exactly.
    public static func decode(_ r: inout ByteReader, type: ColumnType) throws(DecodeError) -> (header: PageHeader, values: ColumnValues) {
        guard type == .bytes else {
            var decoder = PageDecoder()
            let header = try decoder.decode(&r, type: type)
            return (header, .integers(decoder.values))
        }
        let header = try decodeHeader(&r, type: type)
        let bodyAt = r.offset
        let stored = try r.bytes(header.storedSize)
        let raw: [UInt8]
        switch header.codec {
        case .none:
            guard header.storedSize == header.rawSize else {
                throw DecodeError(offset: r.baseOffset + bodyAt, reason: "uncompressed page of \(header.storedSize) bytes declares \(header.rawSize)")
            }
            raw = stored
        case .lz4, .zstd:
            do {
                raw =
                    header.codec == .lz4
                    ? try LZ4.decompress(stored, decompressedSize: header.rawSize)
                    : try Zstd.decompress(stored, decompressedSize: header.rawSize)
            } catch {
                throw DecodeError(offset: r.baseOffset + bodyAt, reason: "page body does not decompress: \(error)")
            }
        }
        let values = try raw.withDecodableBytes { buffer throws(DecodeError) -> [[UInt8]] in
            var body = ByteReader(buffer, baseOffset: r.baseOffset + bodyAt)
            var out: [[UInt8]] = []
            try PlainEncoding.decode(count: header.rows, from: &body, into: &out)
            guard body.atEnd else { throw body.error("\(body.remaining) bytes left over after \(header.rows) values") }
            return out
        }
        return (header, .bytes(values))
    }

    /// Decodes `header.rows` integers of `r` in the page's encoding, appending them to `out`.
    static func decodeIntegers(_ r: inout ByteReader, header: PageHeader, signed: Bool, into out: inout [UInt64]) throws(DecodeError) {
        switch header.encoding {
        case .plain: try PlainEncoding.decode(count: header.rows, from: &r, into: &out)
        case .varint: try VarintEncoding.decode(count: header.rows, signed: signed, from: &r, into: &out)
        case .deltaBitPacked: try DeltaEncoding.decode(count: header.rows, signed: signed, from: &r, into: &out)
        case .frameOfReference: try FrameOfReferenceEncoding.decode(count: header.rows, signed: signed, from: &r, into: &out)
        case .runLength: try RunLengthEncoding.decode(count: header.rows, signed: signed, from: &r, into: &out)
        }
    }

    static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16, uppercase: false) }
}
