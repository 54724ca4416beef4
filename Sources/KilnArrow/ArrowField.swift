/// A field of an Arrow schema, as read from a stream's Schema message.
public struct ArrowField: Sendable, Equatable {
    /// The logical types the reader decodes (Schema.fbs `Type`); any other
    /// type in a schema is an error when the stream is read.
    public indirect enum DataType: Sendable, Equatable {
        case null
        case bool
        case int(bitWidth: Int, signed: Bool)
        case binary, utf8, largeBinary, largeUtf8
        case binaryView, utf8View
        case fixedSizeBinary(Int)
        /// Unit: 0 s, 1 ms, 2 µs, 3 ns; values are Int64.
        case timestamp(unit: Int16, timezone: String?)
        case list, largeList, listView, largeListView
        case structure
        /// Children: run ends (Int16/32/64), then values.
        case runEndEncoded
    }

    /// A dictionary-encoded field's dictionary: the column holds `indexType` integers into dictionary `id`.
    public struct Dictionary: Sendable, Equatable {
        public var id: Int64
        public var indexBitWidth: Int
        public var indexSigned: Bool
    }

    public var name: String
    public var nullable: Bool
    /// The type of the values (for a dictionary-encoded field, of the dictionary's values).
    public var type: DataType
    public var dictionary: Dictionary?
    public var children: [ArrowField]
    public var metadata: [String: String]

    /// `ARROW:extension:name` (e.g. `arrow.uuid`), nil for a plain field.
    public var extensionName: String? { metadata["ARROW:extension:name"] }

    /// The child named `name`.
    public func child(_ name: String) -> ArrowField? { children.first { $0.name == name } }
}
