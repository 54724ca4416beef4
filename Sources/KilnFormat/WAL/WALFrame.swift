import KilnBytes

/// Segment header and record framing of the WAL (docs/format/wal.md).
/// Knows nothing of what a payload means.
public enum WALFrame {
    /// "KWAL": the first four bytes of every segment.
    public static let magic: [UInt8] = [0x4B, 0x57, 0x41, 0x4C]
    /// Format version written after the magic.
    public static let version: UInt8 = 1
    /// Magic, version, three reserved zero bytes.
    public static let segmentHeaderSize = 8
    /// Record header: length <4b>, CRC32C <4b>, type <1b>.
    public static let recordHeaderSize = 9
    /// Largest payload a record may carry: 1 GiB. A length above it is corruption.
    public static let maxPayloadLength = 1 << 30

    /// The record types. 0 is never written, so zero-filled space never reads as a record.
    public enum RecordType: UInt8, Sendable, CaseIterable {
        case ingest = 1
        case checkpoint = 2
        /// An ingest record whose profiles carry span ids.
        case ingestWithSpans = 3
        /// Baselines of cumulative profiles (`CumulativeRecord`).
        case cumulative = 4
    }

    /// The segment header bytes.
    public static var segmentHeader: [UInt8] { magic + [version, 0, 0, 0] }

    /// Frames a payload: header (length, CRC32C over type + payload, type) then the payload.
    public static func frame(_ type: RecordType, payload: [UInt8]) -> [UInt8] {
        var out = ByteWriter(capacity: recordHeaderSize + payload.count)
        append(type, payload: payload, to: &out)
        return out.bytes
    }

    /// Appends a framed record to `out`.
    public static func append(_ type: RecordType, payload: [UInt8], to out: inout ByteWriter) {
        precondition(payload.count <= maxPayloadLength, "WAL record payload over 1 GiB")
        let crc = CRC32C.checksum(payload, continuing: CRC32C.checksum([type.rawValue]))
        out.uint32LE(UInt32(payload.count))
        out.uint32LE(crc)
        out.uint8(type.rawValue)
        out.append(payload)
    }
}
