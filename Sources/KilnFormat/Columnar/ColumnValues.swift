/// The values of a column (or of one page of it): 64-bit integer patterns or
/// byte strings, by the column's `ColumnType`.
public enum ColumnValues: Sendable, Equatable {
    case integers([UInt64])
    case bytes([[UInt8]])

    public var count: Int {
        switch self {
        case .integers(let v): v.count
        case .bytes(let v): v.count
        }
    }

    /// The integers; empty for a bytes column.
    public var integers: [UInt64] {
        if case .integers(let v) = self { return v }
        return []
    }

    /// The byte strings; empty for an integer column.
    public var byteStrings: [[UInt8]] {
        if case .bytes(let v) = self { return v }
        return []
    }

    /// Signed view of an `int64` column.
    public var signedIntegers: [Int64] { integers.map { Int64(bitPattern: $0) } }

    func slice(_ range: Range<Int>) -> ColumnValues {
        switch self {
        case .integers(let v): .integers(Array(v[range]))
        case .bytes(let v): .bytes(Array(v[range]))
        }
    }
}
