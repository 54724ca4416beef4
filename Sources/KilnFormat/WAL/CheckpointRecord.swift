import KilnBytes

/// The payload of a checkpoint record: everything before it is persisted in
/// the named blocks, and the head restarts empty after it.
public struct CheckpointRecord: Sendable, Equatable {
    public var timeNanos: Int64
    public var blockIDs: [String]

    public init(timeNanos: Int64, blockIDs: [String]) {
        self.timeNanos = timeNanos
        self.blockIDs = blockIDs
    }

    public func encode(into w: inout ByteWriter) {
        w.varint(timeNanos)
        w.uvarint(blockIDs.count)
        for id in blockIDs { w.string(id) }
    }

    public static func decode(_ r: inout ByteReader) throws(DecodeError) -> CheckpointRecord {
        let time = try r.varint()
        let n = try r.count()
        var ids: [String] = []
        for _ in 0..<n { ids.append(try r.string()) }
        guard r.atEnd else { throw r.error("\(r.remaining) unexpected bytes after the checkpoint") }
        return CheckpointRecord(timeNanos: time, blockIDs: ids)
    }
}
