import KilnBytes
import KilnFormat
import KilnHead
import KilnModel

/// An opened block: its index, symbols and profile table in memory, its
/// samples read page by page on demand (exactly the pages a query needs),
/// from a local directory or a bucket (`BlockFiles`).
///
/// Everything loaded is validated at open (every id in range, every row
/// range inside its table), so queries over a block cannot trap on a corrupt
/// file; a sample page that fails its CRC or decodes badly throws `BlockError`.
public final class Block: Sendable {
    public let files: any BlockFiles
    public let meta: BlockMeta
    public let symbols: SymbolView
    public let labels: [LabelSet]
    let postings: [String: [String: [UInt32]]]
    let seriesFirstProfile: [Int]
    let seriesProfileCount: [Int]
    let seriesMinTime: [Int64]
    let seriesMaxTime: [Int64]
    let profileTime: [Int64]
    let profileTotal: [Int64]
    let profileDuration: [Int64]
    let profileFirstSample: [Int]
    let profileSampleCount: [Int]
    /// Each profile's span id (0: none); empty when the block has no `span` column.
    let profileSpan: [UInt64]
    /// The pages of the samples table's stack and value columns (aligned: page `p` of each covers the same rows).
    let stackPages: [PageLocation]
    let valuePages: [PageLocation]

    public var ulid: String { meta.ulid }
    public var seriesCount: Int { labels.count }
    /// The block's directory or bucket prefix, for messages.
    public var path: String { files.location }
    /// The block's directory when its files are local.
    public var localDirectory: String? { (files as? LocalBlockFiles)?.directory }
    var profilesPath: String { path + "/" + BlockSchema.profilesFile }

    /// Opens the block in the local directory `path`.
    /// - Throws: `BlockError` (file, offset, reason) or `StorageError`.
    public convenience init(path: String) async throws {
        let files = try LocalBlockFiles(directory: path)
        let meta = try BlockMeta.decode(try files.readAll(BlockSchema.metaFile), path: path + "/" + BlockSchema.metaFile)
        try await self.init(meta: meta, files: files)
    }

    /// Opens the block `meta` describes from `files`: reads the index and
    /// symbols whole and, of the profiles file, its footer and profile table.
    /// - Throws: `BlockError` (file, offset, reason), or the source's error
    ///   (`StorageError`, `ObjectStoreError`) when a read fails.
    public init(meta: BlockMeta, files: any BlockFiles) async throws {
        self.files = files
        self.meta = meta
        let path = files.location
        func whole(_ file: String) async throws -> (ColumnarFile, [UInt8], offset: Int) {
            let bytes = try await files.read(file, 0..<(try Self.size(of: file, meta, path)))
            do { return (try ColumnarFile(bytes: bytes), bytes, 0) } catch {
                throw BlockError(path: path + "/" + file, offset: error.offset, reason: error.reason)
            }
        }
        let indexPath = path + "/" + BlockSchema.indexFile
        let index = try await whole(BlockSchema.indexFile)
        let labelStrings = try Self.strings(index, "strings", indexPath)
        let series = try Self.columns(
            index, "series", ["first_label", "label_count", "first_profile", "profile_count", "min_time", "max_time"], indexPath)
        let labelRows = try Self.columns(index, "labels", ["name", "value"], indexPath)
        let postingRows = try Self.columns(index, "postings", ["name", "value", "first", "count"], indexPath)
        let postingRefs = try Self.columns(index, "postings_series", ["series"], indexPath)[0]

        let symbolsPath = path + "/" + BlockSchema.symbolsFile
        let sym = try await whole(BlockSchema.symbolsFile)
        let strings = try Self.strings(sym, "strings", symbolsPath)
        let m = try Self.columns(sym, "mappings", ["memory_start", "memory_limit", "file_offset", "filename", "build_id", "flags"], symbolsPath)
        let f = try Self.columns(sym, "functions", ["name", "system_name", "filename", "start_line"], symbolsPath)
        let l = try Self.columns(sym, "locations", ["mapping", "address", "line_count"], symbolsPath)
        let ln = try Self.columns(sym, "lines", ["function", "line"], symbolsPath)
        let st = try Self.columns(sym, "stacks", ["parent", "location"], symbolsPath)

        let profilesPath = path + "/" + BlockSchema.profilesFile
        let file = try await Self.openRanged(files, size: try Self.size(of: BlockSchema.profilesFile, meta, path), path: profilesPath)
        let profileTable = try await Self.tableSpan(file, "profiles", files, path: profilesPath)
        let p = try Self.columns(profileTable, "profiles", ["series", "time", "duration", "total", "first_sample", "sample_count"], profilesPath)
        let spans = file.table("profiles")?.columnIndex("span") == nil ? [] : try Self.columns(profileTable, "profiles", ["span"], profilesPath)[0]
        guard let samples = file.table("samples"), samples.columns.count >= 2,
            samples.columns[0].name == "stack", samples.columns[1].name == "value",
            samples.pages(column: 0).map(\.rowRange) == samples.pages(column: 1).map(\.rowRange)
        else {
            throw BlockError(path: profilesPath, offset: nil, reason: "no samples table with aligned stack and value pages")
        }
        stackPages = samples.pages(column: 0)
        valuePages = samples.pages(column: 1)

        // Validate every reference, then build the in-memory structures.
        func check(_ ok: Bool, _ file: String, _ why: @autoclosure () -> String) throws {
            if !ok { throw BlockError(path: file, offset: nil, reason: why()) }
        }
        let nStrings = UInt64(strings.count)
        let nLabelStrings = UInt64(labelStrings.count)
        try check(strings.first == "", symbolsPath, "string 0 must be empty")
        try check(m[3].allSatisfy { $0 < nStrings } && m[4].allSatisfy { $0 < nStrings }, symbolsPath, "mapping names a string out of range")
        try check(
            f[0].allSatisfy { $0 < nStrings } && f[1].allSatisfy { $0 < nStrings } && f[2].allSatisfy { $0 < nStrings },
            symbolsPath, "function names a string out of range")
        try check(ln[0].allSatisfy { $0 < UInt64(f[0].count) }, symbolsPath, "line names a function out of range")
        try check(l[0].allSatisfy { $0 <= UInt64(m[0].count) }, symbolsPath, "location names a mapping out of range")
        try check(
            l[2].reduce(0, { $0 &+ $1 }) == UInt64(ln[0].count) && l[2].allSatisfy { $0 <= UInt64(ln[0].count) }, symbolsPath,
            "location line counts do not add up to the lines table")
        try check(!st[0].isEmpty, symbolsPath, "stack table has no root")
        for i in 1..<st[0].count {
            try check(
                st[0][i] < UInt64(i) && st[1][i] < UInt64(l[0].count), symbolsPath,
                "stack node \(i) has parent \(st[0][i]) / location \(st[1][i]) out of range")
        }
        try check(
            labelRows[0].allSatisfy { $0 < nLabelStrings } && labelRows[1].allSatisfy { $0 < nLabelStrings }, indexPath,
            "label names a string out of range")
        let nSeries = series[0].count
        let nProfiles = p[0].count
        for s in 0..<nSeries {
            try check(
                series[0][s] <= UInt64(labelRows[0].count) && series[1][s] <= UInt64(labelRows[0].count) - series[0][s], indexPath,
                "series \(s) labels out of range")
            try check(
                series[2][s] <= UInt64(nProfiles) && series[3][s] <= UInt64(nProfiles) - series[2][s], indexPath, "series \(s) profiles out of range")
        }
        try check(spans.isEmpty || spans.count == nProfiles, profilesPath, "span column has \(spans.count) rows for \(nProfiles) profiles")
        for i in 0..<nProfiles {
            try check(p[4][i] <= UInt64(samples.rows) && p[5][i] <= UInt64(samples.rows) - p[4][i], profilesPath, "profile \(i) samples out of range")
        }
        try check(
            postingRows[0].allSatisfy { $0 < nLabelStrings } && postingRows[1].allSatisfy { $0 < nLabelStrings }, indexPath,
            "posting names a string out of range")
        try check(postingRefs.allSatisfy { $0 < UInt64(nSeries) }, indexPath, "posting names a series out of range")
        for i in 0..<postingRows[0].count {
            try check(
                postingRows[2][i] <= UInt64(postingRefs.count) && postingRows[3][i] <= UInt64(postingRefs.count) - postingRows[2][i], indexPath,
                "posting list \(i) out of range")
        }

        var lines: [LineSymbol] = []
        lines.reserveCapacity(ln[0].count)
        for i in 0..<ln[0].count { lines.append(LineSymbol(function: UInt32(ln[0][i]), line: Int64(bitPattern: ln[1][i]))) }
        var locations: [LocationSymbol] = []
        var lineAt = 0
        for i in 0..<l[0].count {
            let n = Int(l[2][i])
            locations.append(
                LocationSymbol(
                    mapping: l[0][i] == 0 ? LocationSymbol.noMapping : UInt32(l[0][i] - 1), address: l[1][i],
                    lines: Array(lines[lineAt..<(lineAt + n)])))
            lineAt += n
        }
        symbols = SymbolView(
            strings: strings,
            functions: (0..<f[0].count).map {
                FunctionSymbol(
                    name: UInt32(f[0][$0]), systemName: UInt32(f[1][$0]), filename: UInt32(f[2][$0]), startLine: Int64(bitPattern: f[3][$0]))
            },
            mappings: (0..<m[0].count).map {
                MappingSymbol(
                    memoryStart: m[0][$0], memoryLimit: m[1][$0], fileOffset: m[2][$0], filename: UInt32(m[3][$0]), buildID: UInt32(m[4][$0]),
                    flags: MappingFlags(rawValue: UInt8(truncatingIfNeeded: m[5][$0])))
            },
            locations: locations,
            stackParents: st[0].map { UInt32($0) },
            stackLocations: st[1].enumerated().map { $0.offset == 0 ? StackTree.noLocation : UInt32($0.element) })
        labels = try (0..<nSeries).map { s in
            let start = Int(series[0][s])
            let set = (start..<(start + Int(series[1][s]))).map { Label(labelStrings[Int(labelRows[0][$0])], labelStrings[Int(labelRows[1][$0])]) }
            do { return try LabelSet(set) } catch { throw BlockError(path: indexPath, offset: nil, reason: "series \(s): \(error)") }
        }
        var postings: [String: [String: [UInt32]]] = [:]
        for i in 0..<postingRows[0].count {
            let first = Int(postingRows[2][i])
            let refs = postingRefs[first..<(first + Int(postingRows[3][i]))].map { UInt32($0) }
            try check(zip(refs, refs.dropFirst()).allSatisfy { $0 < $1 }, indexPath, "posting list \(i) is not ascending")
            postings[labelStrings[Int(postingRows[0][i])], default: [:]][labelStrings[Int(postingRows[1][i])]] = refs
        }
        self.postings = postings
        seriesFirstProfile = series[2].map { Int($0) }
        seriesProfileCount = series[3].map { Int($0) }
        seriesMinTime = series[4].map { Int64(bitPattern: $0) }
        seriesMaxTime = series[5].map { Int64(bitPattern: $0) }
        profileTime = p[1].map { Int64(bitPattern: $0) }
        profileTotal = p[3].map { Int64(bitPattern: $0) }
        profileDuration = p[2].map { Int64(bitPattern: $0) }
        profileFirstSample = p[4].map { Int($0) }
        profileSampleCount = p[5].map { Int($0) }
        profileSpan = spans.contains { $0 != 0 } ? spans : []
    }

    /// Whether some profile of the block has a span id.
    public var hasSpans: Bool { !profileSpan.isEmpty }

    // MARK: - Loading

    /// The size `meta.json` gives `file`: what ranged reads are planned from.
    private static func size(of file: String, _ meta: BlockMeta, _ path: String) throws -> Int {
        guard let f = meta.files.first(where: { $0.name == file }) else {
            throw BlockError(path: path + "/" + BlockSchema.metaFile, offset: nil, reason: "meta.json lists no \(file)")
        }
        return f.size
    }

    /// Opens a columnar file from its tail: one read, or two when the footer
    /// is longer than the first guess.
    private static func openRanged(_ files: any BlockFiles, size: Int, path: String) async throws -> ColumnarFile {
        let name = BlockSchema.profilesFile
        do {
            switch try ColumnarFile.open(tail: try await files.read(name, ColumnarFile.tailRange(fileSize: size)), fileSize: size) {
            case .opened(let f): return f
            case .needsRange(let r):
                guard case .opened(let f) = try ColumnarFile.open(tail: try await files.read(name, r), fileSize: size) else {
                    throw BlockError(path: path, offset: r.lowerBound, reason: "footer not found in the range it declares")
                }
                return f
            }
        } catch let e as DecodeError {
            throw BlockError(path: path, offset: e.offset, reason: e.reason)
        }
    }

    /// The bytes of `table`'s pages (from its first to its last), read at once.
    private static func tableSpan(
        _ file: ColumnarFile, _ table: String, _ files: any BlockFiles,
        path: String
    ) async throws -> (ColumnarFile, [UInt8], offset: Int) {
        guard let t = file.table(table) else { throw BlockError(path: path, offset: nil, reason: "no table \(table)") }
        let ranges = t.rowGroups.flatMap { $0.columns.map(\.range) }
        let span = (ranges.map(\.lowerBound).min() ?? 0)..<(ranges.map(\.upperBound).max() ?? 0)
        return (file, try await files.read(BlockSchema.profilesFile, span), span.lowerBound)
    }

    /// Integer columns `names` of `table`, decoded from `loaded` (a file, and its bytes from `offset` on).
    private static func columns(_ loaded: (ColumnarFile, [UInt8], offset: Int), _ table: String, _ names: [String], _ path: String) throws
        -> [[UInt64]]
    {
        let (file, bytes, offset) = loaded
        guard let t = file.table(table) else { throw BlockError(path: path, offset: nil, reason: "no table \(table)") }
        return try names.map { name in
            guard let c = t.columnIndex(name), t.columns[c].type != .bytes else {
                throw BlockError(path: path, offset: nil, reason: "table \(table) has no integer column \(name)")
            }
            do { return try file.column(t, c, in: bytes, bytesOffset: offset).integers } catch let e as DecodeError {
                throw BlockError(path: path, offset: e.offset, reason: e.reason)
            }
        }
    }

    private static func strings(_ loaded: (ColumnarFile, [UInt8], offset: Int), _ table: String, _ path: String) throws -> [String] {
        let (file, bytes, offset) = loaded
        guard let t = file.table(table), let c = t.columnIndex("value"), t.columns[c].type == .bytes else {
            throw BlockError(path: path, offset: nil, reason: "no strings table")
        }
        do { return try file.column(t, c, in: bytes, bytesOffset: offset).byteStrings.map { String(decoding: $0, as: UTF8.self) } } catch {
            throw BlockError(path: path, offset: error.offset, reason: error.reason)
        }
    }
}
