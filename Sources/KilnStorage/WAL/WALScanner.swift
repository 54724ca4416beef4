import KilnBytes
import KilnFormat

/// Walks the records of a WAL directory in order: the shared reader of
/// replay, verification, dumping and repair.
///
/// Policy (docs/format/wal.md, "Replay and corruption"): a torn record or
/// zero-filled tail in the *last* segment ends the scan and is reported as a
/// `TornTail`; every other problem is a `WALError.corruption` naming the
/// segment and offset. Segment numbers must be contiguous.
public enum WALScanner {
    /// Where a crash cut the last segment short.
    public struct TornTail: Sendable, Equatable {
        public let segment: Int
        public let path: String
        public let offset: Int
        public let reason: String
    }

    /// One record as found.
    public struct Found {
        public let segment: Int
        public let path: String
        public let record: WALSegmentReader.Record
        /// The bytes of the whole segment (valid only during the callback).
        public let bytes: UnsafeRawBufferPointer

        public func decode() throws(DecodeError) -> WALRecord { try WALRecord.decode(record, in: bytes) }
    }

    /// The checkpoint record that opens segment `n`, or nil when its first
    /// record is something else (or it has none). Reads only that record.
    public static func checkpoint(_ directory: String, segment n: Int) throws(WALError) -> CheckpointRecord? {
        let path = WALSegments.path(directory, n)
        var bytes: [UInt8]
        do {
            let headers = WALFrame.segmentHeaderSize + WALFrame.recordHeaderSize
            bytes = try FileIO.read(path, limit: headers)
            guard bytes.count == headers, bytes[headers - 1] == WALFrame.RecordType.checkpoint.rawValue else { return nil }
            let length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            bytes = try FileIO.read(path, limit: headers + min(length, WALFrame.maxPayloadLength))
        } catch let e as StorageError {
            throw .io(e)
        } catch {
            throw .io(StorageError("read", path: path, reason: "\(error)"))
        }
        return bytes.withUnsafeBytes { raw -> CheckpointRecord? in
            guard var reader = try? WALSegmentReader(raw), let first = try? reader.next(),
                case .checkpoint(let c)? = try? WALRecord.decode(first, in: raw)
            else { return nil }
            return c
        }
    }

    /// The last `limit` segments that open with a checkpoint, newest first.
    /// Reads segments from the newest back until it has found that many.
    public static func checkpointSegments(_ directory: String, segments: [Int], limit: Int) throws(WALError) -> [(
        segment: Int, record: CheckpointRecord
    )] {
        var out: [(segment: Int, record: CheckpointRecord)] = []
        for n in segments.reversed() where out.count < limit {
            if let c = try checkpoint(directory, segment: n) { out.append((n, c)) }
        }
        return out
    }

    /// The segment replay starts at: the last one opening with a checkpoint, or the first.
    public static func startSegment(_ directory: String, segments: [Int]) throws(WALError) -> Int? {
        try checkpointSegments(directory, segments: segments, limit: 1).first?.segment ?? segments.first
    }

    /// Calls `body` for every record from segment `from` on (the first segment
    /// when nil: inspection), in order. Replay passes the checkpoint it starts at.
    /// - Returns: the torn tail of the last segment, if there is one.
    /// - Throws: `WALError`; an error thrown by `body` becomes corruption at that record.
    @discardableResult
    public static func scan(
        _ directory: String, from: Int? = nil,
        _ body: (Found) throws -> Void
    ) throws(WALError) -> TornTail? {
        let segments: [Int]
        do { segments = try WALSegments.list(directory) } catch let e as StorageError { throw .io(e) } catch {
            throw .io(StorageError("list", path: directory, reason: "\(error)"))
        }
        guard let first = segments.first else { return nil }
        for (i, n) in segments.enumerated() where n != first + i {
            throw .missingSegment(directory: directory, number: first + i)
        }
        for n in segments where n >= from ?? first {
            let path = WALSegments.path(directory, n)
            let isLast = n == segments.last
            let bytes: [UInt8]
            do { bytes = try FileIO.read(path) } catch let e as StorageError { throw .io(e) } catch {
                throw .io(StorageError("read", path: path, reason: "\(error)"))
            }
            let result: Result<TornTail?, WALError> = bytes.withUnsafeBytes { raw in
                Result { () throws(WALError) -> TornTail? in try scanSegment(raw, n: n, path: path, isLast: isLast, body) }
            }
            if let torn = try result.get() { return torn }
        }
        return nil
    }

    private static func scanSegment(
        _ raw: UnsafeRawBufferPointer, n: Int, path: String, isLast: Bool,
        _ body: (Found) throws -> Void
    ) throws(WALError) -> TornTail? {
        func problem(_ f: WALSegmentReader.Failure) throws(WALError) -> TornTail {
            if isLast && f.problem.isTornTail {
                return TornTail(segment: n, path: path, offset: f.offset, reason: f.problem.description)
            }
            throw .corruption(segment: path, offset: f.offset, reason: f.problem.description)
        }
        var reader: WALSegmentReader
        do {
            reader = try WALSegmentReader(raw)
        } catch {
            return try problem(error)
        }
        while true {
            let record: WALSegmentReader.Record?
            do {
                record = try reader.next()
            } catch {
                return try problem(error)
            }
            guard let record else { return nil }
            do {
                try body(Found(segment: n, path: path, record: record, bytes: raw))
            } catch let e as WALError {
                throw e
            } catch {
                throw .corruption(segment: path, offset: record.offset, reason: "\(error)")
            }
        }
    }
}
