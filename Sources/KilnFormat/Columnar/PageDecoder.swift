import KilnBytes
import KilnCompression

/// Decodes integer pages into buffers it keeps from page to page: once it
/// has seen the largest page, decoding allocates nothing — no copy of the
/// stored body, no fresh buffer to inflate into (nor one zero-filled), no
/// output array, no zstd context per page. A query task keeps one per column
/// it reads.
///
/// Not thread-safe (it owns a zstd context); one per task.
public struct PageDecoder {
    /// The values of the last page decoded (`header.rows` of them).
    public private(set) var values: [UInt64] = []
    /// Inflated page bodies; only ever grows, never zero-filled after growth.
    private var raw: [UInt8] = []
    private var zstd: ZstdDecompressor?

    public init() {}

    /// Decodes the integer page that starts at `r`'s offset into `values` and advances past it.
    /// - Throws: `DecodeError` with the absolute offset for anything malformed:
    ///   a bad CRC, an unknown encoding or codec, a body that does not inflate
    ///   to its raw size, values that do not fill it exactly.
    public mutating func decode(_ r: inout ByteReader, type: ColumnType) throws(DecodeError) -> PageHeader {
        precondition(type != .bytes, "PageDecoder decodes integer pages")
        let header = try Page.decodeHeader(&r, type: type)
        let bodyAt = r.offset
        try r.skip(header.storedSize)
        let stored = UnsafeRawBufferPointer(rebasing: r.bytes[bodyAt..<(bodyAt + header.storedSize)])
        let base = r.baseOffset + bodyAt
        var out = values
        values = []
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(header.rows)
        switch header.codec {
        case .none:
            guard header.storedSize == header.rawSize else {
                throw DecodeError(offset: base, reason: "uncompressed page of \(header.storedSize) bytes declares \(header.rawSize)")
            }
            try Self.decodeBody(stored, header: header, type: type, baseOffset: base, into: &out)
        case .lz4, .zstd:
            if raw.count < header.rawSize { raw = [UInt8](repeating: 0, count: header.rawSize) }
            if header.codec == .zstd && zstd == nil { zstd = ZstdDecompressor() }
            let zstd = header.codec == .zstd ? self.zstd : nil
            do {
                try raw.withUnsafeMutableBytes { buffer in
                    let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<header.rawSize])
                    if let zstd { try zstd.decompress(stored, into: target) } else { try LZ4.decompress(stored, into: target) }
                }
            } catch {
                throw DecodeError(offset: base, reason: "page body does not decompress: \(error)")
            }
            try raw.withDecodableBytes { buffer throws(DecodeError) in
                try Self.decodeBody(
                    UnsafeRawBufferPointer(rebasing: buffer[0..<header.rawSize]), header: header, type: type, baseOffset: base, into: &out)
            }
        }
        values = out
        return header
    }

    private static func decodeBody(
        _ body: UnsafeRawBufferPointer, header: PageHeader, type: ColumnType, baseOffset: Int,
        into out: inout [UInt64]
    ) throws(DecodeError) {
        var r = ByteReader(body, baseOffset: baseOffset)
        try Page.decodeIntegers(&r, header: header, signed: type.isSigned, into: &out)
        guard r.atEnd else { throw r.error("\(r.remaining) bytes left over after \(header.rows) values") }
    }
}
