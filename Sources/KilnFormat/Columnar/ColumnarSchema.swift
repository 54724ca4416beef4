/// A column as the writer declares it: name, type, and the encodings it may
/// use (per page, the writer keeps whichever is smallest).
public struct ColumnSchema: Sendable, Equatable {
    public var name: String
    public var type: ColumnType
    public var encodings: [ColumnEncoding]

    public init(_ name: String, _ type: ColumnType, _ encodings: [ColumnEncoding]) {
        self.name = name
        self.type = type
        self.encodings = type == .bytes ? [.plain] : encodings
    }
}

/// A table: a name and its columns, in order.
public struct TableSchema: Sendable, Equatable {
    public var name: String
    public var columns: [ColumnSchema]

    public init(_ name: String, _ columns: [ColumnSchema]) {
        self.name = name
        self.columns = columns
    }

    public func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }
}
