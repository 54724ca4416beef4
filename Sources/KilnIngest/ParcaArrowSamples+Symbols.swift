import KilnArrow

extension ParcaArrowSamples {
    struct FunctionKey: Hashable {
        var name: String
        var filename: String
        var startLine: Int64
    }

    struct MappingKey: Hashable {
        var file: String
        var buildID: String
    }

    /// One entry of the record's location array, read out of its nested columns.
    struct LocationSymbols {
        var address: UInt64 = 0
        /// nil when both `mapping_file` and `mapping_build_id` are null (interpreted frames).
        var mapping: MappingKey?
        /// (line, function), leaf (innermost inline) first; empty when unsymbolized.
        var lines: [(Int64, FunctionKey)] = []
    }

    /// Each location of one record batch read once, however many profiles and stacks use it.
    ///
    /// Invariant: `byRow[i]` is entry `i` of `array`, the one location array of the batch.
    struct SymbolCache {
        private var array: ArrowArray?
        private var byRow: [LocationSymbols?] = []

        mutating func symbols(_ a: ArrowArray, _ row: Int, _ c: Columns) -> LocationSymbols {
            if array !== a {
                array = a
                byRow = Array(repeating: nil, count: a.length)
            }
            if let known = byRow[row] { return known }
            let s = Self.read(a, row, c)
            byRow[row] = s
            return s
        }

        static func read(_ a: ArrowArray, _ row: Int, _ c: Columns) -> LocationSymbols {
            var out = LocationSymbols()
            if let address = a.child("address"), !address.isNull(row) { out.address = address.uint64(row) }
            let file = a.child("mapping_file").flatMap { c.text($0, row) }
            let buildID = a.child("mapping_build_id").flatMap { c.text($0, row) }
            if file != nil || buildID != nil { out.mapping = MappingKey(file: file ?? "", buildID: buildID ?? "") }
            guard let lines = a.child("lines"), let entries = lines.children.first else { return out }
            for j in lines.range(row) {
                guard let (line, r) = c.resolve(entries, j) else { continue }
                let number = line.child("line").flatMap { c.integer($0, r) } ?? 0
                var function = FunctionKey(name: "", filename: "", startLine: 0)
                if let f = line.child("function"), let (fn, fr) = c.resolve(f, r) {
                    function.name = fn.child("system_name").flatMap { c.text($0, fr) } ?? ""
                    function.filename = fn.child("filename").flatMap { c.text($0, fr) } ?? ""
                    function.startLine = fn.child("start_line").flatMap { c.integer($0, fr) } ?? 0
                }
                out.lines.append((number, function))
            }
            return out
        }
    }
}
