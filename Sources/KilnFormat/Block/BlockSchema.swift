/// The tables of a block's three columnar files, with the spec's names
/// (docs/format/block.md, index.md, symbols.md). Column order here is the
/// order on disk; readers look columns up by name.
public enum BlockSchema {
    public static let indexFile = "index.kcol"
    public static let symbolsFile = "symbols.kcol"
    public static let profilesFile = "profiles.kcol"
    public static let metaFile = "meta.json"

    /// Samples per row group of the `samples` table: bounds what a writer
    /// buffers (~16 MB of decoded columns) while keeping footers small.
    public static let samplesPerRowGroup = 1 << 20

    // MARK: index.kcol

    public static let index: [TableSchema] = [
        TableSchema("strings", [ColumnSchema("value", .bytes, [.plain])]),
        TableSchema(
            "series",
            [
                ColumnSchema("first_label", .uint64, [.deltaBitPacked]),
                ColumnSchema("label_count", .uint64, [.runLength, .frameOfReference]),
                ColumnSchema("first_profile", .uint64, [.deltaBitPacked]),
                ColumnSchema("profile_count", .uint64, [.frameOfReference, .varint]),
                ColumnSchema("min_time", .int64, [.frameOfReference, .deltaBitPacked]),
                ColumnSchema("max_time", .int64, [.frameOfReference, .deltaBitPacked]),
            ]),
        TableSchema(
            "labels",
            [
                ColumnSchema("name", .uint64, [.frameOfReference, .runLength]),
                ColumnSchema("value", .uint64, [.frameOfReference, .varint]),
            ]),
        TableSchema(
            "postings",
            [
                ColumnSchema("name", .uint64, [.runLength, .frameOfReference]),
                ColumnSchema("value", .uint64, [.frameOfReference, .deltaBitPacked]),
                ColumnSchema("first", .uint64, [.deltaBitPacked]),
                ColumnSchema("count", .uint64, [.frameOfReference, .varint]),
            ]),
        TableSchema("postings_series", [ColumnSchema("series", .uint64, [.deltaBitPacked, .frameOfReference])]),
    ]

    // MARK: symbols.kcol

    public static let symbols: [TableSchema] = [
        TableSchema("strings", [ColumnSchema("value", .bytes, [.plain])]),
        TableSchema(
            "mappings",
            [
                ColumnSchema("memory_start", .uint64, [.frameOfReference, .varint]),
                ColumnSchema("memory_limit", .uint64, [.frameOfReference, .varint]),
                ColumnSchema("file_offset", .uint64, [.frameOfReference, .varint]),
                ColumnSchema("filename", .uint64, [.frameOfReference]),
                ColumnSchema("build_id", .uint64, [.frameOfReference]),
                ColumnSchema("flags", .uint64, [.runLength, .frameOfReference]),
            ]),
        TableSchema(
            "functions",
            [
                ColumnSchema("name", .uint64, [.frameOfReference, .deltaBitPacked]),
                ColumnSchema("system_name", .uint64, [.frameOfReference, .deltaBitPacked]),
                ColumnSchema("filename", .uint64, [.frameOfReference, .runLength]),
                ColumnSchema("start_line", .int64, [.frameOfReference, .varint]),
            ]),
        TableSchema(
            "locations",
            [
                ColumnSchema("mapping", .uint64, [.runLength, .frameOfReference]),
                ColumnSchema("address", .uint64, [.frameOfReference, .deltaBitPacked]),
                ColumnSchema("line_count", .uint64, [.runLength, .frameOfReference]),
            ]),
        TableSchema(
            "lines",
            [
                ColumnSchema("function", .uint64, [.frameOfReference, .deltaBitPacked]),
                ColumnSchema("line", .int64, [.frameOfReference, .varint]),
            ]),
        TableSchema(
            "stacks",
            [
                ColumnSchema("parent", .uint64, [.frameOfReference, .deltaBitPacked]),
                ColumnSchema("location", .uint64, [.frameOfReference]),
            ]),
    ]

    // MARK: profiles.kcol

    /// The `profiles.kcol` tables; `withSpans` adds the `span` column, which
    /// writers include only when some profile has a span, so blocks without
    /// spans are byte-identical to those written before spans existed.
    public static func profiles(withSpans: Bool) -> [TableSchema] {
        var columns = [
            ColumnSchema("series", .uint64, [.runLength, .frameOfReference]),
            ColumnSchema("time", .int64, [.deltaBitPacked, .frameOfReference]),
            ColumnSchema("duration", .int64, [.runLength, .frameOfReference]),
            ColumnSchema("total", .uint64, [.frameOfReference, .varint]),
            ColumnSchema("first_sample", .uint64, [.deltaBitPacked]),
            ColumnSchema("sample_count", .uint64, [.frameOfReference, .varint]),
        ]
        if withSpans { columns.append(ColumnSchema("span", .uint64, [.runLength, .plain])) }
        return [
            TableSchema("profiles", columns),
            TableSchema(
                "samples",
                [
                    ColumnSchema("stack", .uint64, [.frameOfReference, .deltaBitPacked]),
                    ColumnSchema("value", .uint64, [.frameOfReference, .varint]),
                ]),
        ]
    }
}
