import KilnBytes

/// Reads the records of one WAL segment from its bytes (sans I/O).
///
/// The reader classifies every way a segment can end badly, and leaves the
/// decision to the caller: a `tornRecord` or `zeroTail` in the *last* segment
/// is what a crash mid-write leaves (truncate it), anywhere else it is
/// corruption.
public struct WALSegmentReader {
    /// One framed record: its type, where its payload lies, where it starts.
    public struct Record: Equatable, Sendable {
        public let type: WALFrame.RecordType
        /// Absolute byte range of the payload in the segment.
        public let payload: Range<Int>
        /// Byte offset of the record header in the segment.
        public let offset: Int
        /// Offset just past the record.
        public var end: Int { payload.upperBound }
    }

    /// What is wrong at `offset`.
    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        case badSegmentHeader
        /// A header or payload that runs past the end of the bytes.
        case tornRecord
        /// Every byte from the record start to the end is zero.
        case zeroTail
        case badLength(UInt32)
        case badType(UInt8)
        case badCRC(stored: UInt32, computed: UInt32)

        public var description: String {
            switch self {
            case .badSegmentHeader: "bad segment header (want magic \"KWAL\" and version \(WALFrame.version))"
            case .tornRecord: "record runs past the end of the segment (torn write)"
            case .zeroTail: "zero-filled tail"
            case .badLength(let n): "record length \(n) exceeds the maximum of \(WALFrame.maxPayloadLength)"
            case .badType(let t): "unknown record type \(t)"
            case .badCRC(let stored, let computed):
                "CRC32C mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16)))"
            }
        }

        /// Whether this is how a crash mid-append leaves the end of the log.
        public var isTornTail: Bool { self == .tornRecord || self == .zeroTail }
    }

    public struct Failure: Error, Equatable, Sendable {
        public let offset: Int
        public let problem: Problem
    }

    private let bytes: UnsafeRawBufferPointer
    /// Offset of the next record.
    public private(set) var offset: Int

    /// - Throws: `Failure(.badSegmentHeader)` at offset 0 when the header is wrong.
    public init(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        self.bytes = bytes
        guard bytes.count >= WALFrame.segmentHeaderSize,
            bytes[0] == WALFrame.magic[0], bytes[1] == WALFrame.magic[1], bytes[2] == WALFrame.magic[2],
            bytes[3] == WALFrame.magic[3], bytes[4] == WALFrame.version
        else {
            // A segment cut short inside its own header, or never written at all
            // (all zeros), is a torn creation.
            if bytes.count < WALFrame.segmentHeaderSize && zip(bytes, WALFrame.segmentHeader).allSatisfy({ $0 == $1 }) {
                throw Failure(offset: 0, problem: .tornRecord)
            }
            if bytes.allSatisfy({ $0 == 0 }) { throw Failure(offset: 0, problem: .zeroTail) }
            throw Failure(offset: 0, problem: .badSegmentHeader)
        }
        offset = WALFrame.segmentHeaderSize
    }

    /// The next record, nil at a clean end.
    public mutating func next() throws(Failure) -> Record? {
        let start = offset
        let left = bytes.count - start
        if left == 0 { return nil }
        if left < WALFrame.recordHeaderSize {
            throw Failure(offset: start, problem: isZero(from: start) ? .zeroTail : .tornRecord)
        }
        let length = readUInt32(start)
        let stored = readUInt32(start + 4)
        let typeByte = bytes[start + 8]
        if length == 0 && stored == 0 && typeByte == 0 && isZero(from: start) {
            throw Failure(offset: start, problem: .zeroTail)
        }
        guard Int(length) <= WALFrame.maxPayloadLength else { throw Failure(offset: start, problem: .badLength(length)) }
        let payloadStart = start + WALFrame.recordHeaderSize
        guard Int(length) <= bytes.count - payloadStart else { throw Failure(offset: start, problem: .tornRecord) }
        let payload = payloadStart..<(payloadStart + Int(length))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[(start + 8)..<payload.upperBound]))
        guard computed == stored else { throw Failure(offset: start, problem: .badCRC(stored: stored, computed: computed)) }
        guard let type = WALFrame.RecordType(rawValue: typeByte) else { throw Failure(offset: start, problem: .badType(typeByte)) }
        offset = payload.upperBound
        return Record(type: type, payload: payload, offset: start)
    }

    private func readUInt32(_ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    private func isZero(from: Int) -> Bool {
        bytes[from...].allSatisfy { $0 == 0 }
    }
}
