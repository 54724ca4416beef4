/// Why the WAL cannot be replayed: corruption at a segment and byte offset,
/// or an I/O failure.
public enum WALError: Error, Sendable, CustomStringConvertible {
    /// Corrupt data at `offset` of `segment` (a path). `kiln-inspect wal repair`
    /// truncates the log there.
    case corruption(segment: String, offset: Int, reason: String)
    /// Segment `number` is missing between its neighbours.
    case missingSegment(directory: String, number: Int)
    case io(StorageError)

    public var description: String {
        switch self {
        case .corruption(let segment, let offset, let reason):
            "WAL corruption in segment \(segment) at byte \(offset): \(reason); `kiln-inspect wal repair` truncates the log there"
        case .missingSegment(let directory, let number):
            "WAL corruption in \(directory): segment \(WALSegments.name(number)) is missing; `kiln-inspect wal repair` drops the segments after the gap"
        case .io(let e): "WAL I/O error: \(e)"
        }
    }
}
