import KilnBytes

/// One chunk of an object in the local object cache (docs/format/cache.md):
/// a header naming the object key and the chunk's index, then the bytes
/// `[index · chunkSize, index · chunkSize + length)` of that object, guarded
/// by a CRC32C. The header makes a chunk file self-describing: the cache
/// rebuilds its index from the files at start, and a file whose key or index
/// is not the expected one (a hash collision of file names) is a miss.
public enum CacheChunk {
    public static let magic: [UInt8] = Array("KCCH".utf8)
    public static let version: UInt8 = 1
    /// Object keys are at most 1024 bytes (S3's limit, `ObjectStoreError.validate`).
    public static let maxKeyBytes = 1024
    /// Far above any chunk size the cache is configured with; bounds what a hostile length may allocate.
    public static let maxPayloadBytes = 256 << 20
    /// Enough to hold any header: what the cache reads of each file at start.
    public static let maxHeaderBytes = 4 + 1 + 2 + maxKeyBytes + 10 + 8

    public struct Header: Sendable, Equatable {
        public var key: String
        public var index: UInt64
        public var payloadLength: Int
        public var crc32c: UInt32
        /// Where the payload starts.
        public var size: Int
    }

    public static func encode(key: String, index: UInt64, payload: [UInt8]) -> [UInt8] {
        precondition(key.utf8.count <= maxKeyBytes && payload.count <= maxPayloadBytes, "cache chunk key or payload too large")
        var w = ByteWriter(capacity: payload.count + 32 + key.utf8.count)
        w.append(magic)
        w.uint8(version)
        w.string(key)
        w.uvarint(index)
        w.uint32LE(UInt32(payload.count))
        w.uint32LE(CRC32C.checksum(payload))
        w.append(payload)
        return w.bytes
    }

    /// The header at the start of `bytes` (which may hold only a prefix of the file).
    public static func decodeHeader(_ bytes: [UInt8]) throws(DecodeError) -> Header {
        try bytes.withDecodableBytes { (buffer) throws(DecodeError) -> Header in
            var r = ByteReader(buffer)
            guard try r.bytes(4) == magic else { throw DecodeError(offset: 0, reason: "not a cache chunk (bad magic)") }
            let v = try r.uint8()
            guard v == version else { throw DecodeError(offset: 4, reason: "unsupported cache chunk version \(v)") }
            let keyAt = r.offset
            let n = try r.count()
            guard n <= maxKeyBytes else { throw DecodeError(offset: keyAt, reason: "key of \(n) bytes exceeds \(maxKeyBytes)") }
            guard let key = String(validating: try r.bytes(n), as: UTF8.self) else { throw DecodeError(offset: keyAt, reason: "key is not UTF-8") }
            let index = try r.uvarint()
            let lengthAt = r.offset
            let length = Int(try r.uint32LE())
            guard length <= maxPayloadBytes else {
                throw DecodeError(offset: lengthAt, reason: "payload of \(length) bytes exceeds \(maxPayloadBytes)")
            }
            let crc = try r.uint32LE()
            return Header(key: key, index: index, payloadLength: length, crc32c: crc, size: r.offset)
        }
    }

    /// The header and payload of a whole chunk file, checked: exact length and CRC.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> (header: Header, payload: [UInt8]) {
        let h = try decodeHeader(bytes)
        guard bytes.count == h.size + h.payloadLength else {
            throw DecodeError(
                offset: min(bytes.count, h.size + h.payloadLength),
                reason: "file is \(bytes.count) bytes, the header says \(h.size + h.payloadLength)")
        }
        let payload = Array(bytes[h.size...])
        let crc = CRC32C.checksum(payload)
        guard crc == h.crc32c else { throw DecodeError(offset: h.size, reason: "payload CRC32C \(crc), header says \(h.crc32c)") }
        return (h, payload)
    }
}
