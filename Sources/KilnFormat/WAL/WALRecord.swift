import KilnBytes

/// A decoded WAL record payload, by type.
public enum WALRecord: Sendable, Equatable {
    case ingest(IngestRecord)
    case checkpoint(CheckpointRecord)
    case cumulative(CumulativeRecord)

    public var type: WALFrame.RecordType {
        switch self {
        case .ingest(let r): r.hasSpans ? .ingestWithSpans : .ingest
        case .checkpoint: .checkpoint
        case .cumulative: .cumulative
        }
    }

    /// The framed bytes of this record.
    public func framed() -> [UInt8] {
        var payload = ByteWriter()
        switch self {
        case .ingest(let r): r.encode(into: &payload)
        case .checkpoint(let c): c.encode(into: &payload)
        case .cumulative(let c): c.encode(into: &payload)
        }
        return WALFrame.frame(type, payload: payload.bytes)
    }

    /// Decodes the payload of a framed record read by `WALSegmentReader`.
    public static func decode(_ record: WALSegmentReader.Record, in segment: UnsafeRawBufferPointer) throws(DecodeError) -> WALRecord {
        var r = ByteReader(segment, range: record.payload)
        switch record.type {
        case .ingest: return .ingest(try IngestRecord.decode(&r))
        case .ingestWithSpans: return .ingest(try IngestRecord.decode(&r, withSpans: true))
        case .checkpoint: return .checkpoint(try CheckpointRecord.decode(&r))
        case .cumulative: return .cumulative(try CumulativeRecord.decode(&r))
        }
    }
}
