import KilnModel
import KilnPprof

/// Builds one pprof profile from per-source stack totals (`SelectMergeProfile`).
///
/// Each source has its own symbol ids; its strings, mappings, functions and
/// locations are carried into one `SymbolTable` (`SymbolRemap`: content
/// interning, so equal symbols from different blocks become one), then
/// every stack node with a nonzero total becomes a sample whose location
/// list is the node's path, leaf first. Samples with equal paths from
/// different sources are summed into one. The table's ids are the output's
/// indices: pprof ids are those plus one.
///
/// Cost: O(symbols + nonzero stacks × depth) per source; nothing per raw sample.
public struct PprofMerger {
    private var table = SymbolTable()
    private var sampleOfPath: [[UInt32]: Int] = [:]
    private var paths: [[UInt32]] = []
    private var values: [Int64] = []

    public init() {}

    /// Adds one source's totals (indexed by its stack ids).
    /// - Precondition: `totals.count == symbols.stackCount`.
    public mutating func add(_ totals: [Int64], symbols: SymbolView) {
        var remap = SymbolRemap(symbols)
        for node in 1..<max(totals.count, 1) where totals[node] != 0 {
            var path: [UInt32] = []
            var n = node
            while n != 0 {
                path.append(remap.location(symbols.stackLocations[n], into: &table))
                n = Int(symbols.stackParents[n])
            }
            if let i = sampleOfPath[path] {
                values[i] &+= totals[node]
            } else {
                sampleOfPath[path] = values.count
                paths.append(path)
                values.append(totals[node])
            }
        }
    }

    /// The period Pyroscope gives a merged profile (`SetProfileMetadata`),
    /// whatever the pushed profiles said, from the type's name: a second for
    /// `process_cpu`, 512 KiB (Go's MemProfileRate) for `memory`, 1 otherwise.
    public static func period(of type: ProfileTypeID) -> Int64 {
        switch type.name {
        case "process_cpu": 1_000_000_000
        case "memory": 512 * 1024
        default: 1
        }
    }

    /// The merged profile: one sample type (also the default one), the type's
    /// period type and `period(of:)`, every sample.
    public func build(_ type: ProfileTypeID, timeNanos: Int64, durationNanos: Int64) -> Profile {
        var table = self.table
        var p = Profile()
        p.sampleTypes = [ValueType(type: Int64(table.string(type.sampleType)), unit: Int64(table.string(type.sampleUnit)))]
        p.defaultSampleType = p.sampleTypes[0].type
        p.period = Self.period(of: type)
        p.periodType = ValueType(type: Int64(table.string(type.periodType)), unit: Int64(table.string(type.periodUnit)))
        p.strings = StringTable(table.strings)
        p.mappings = table.mappings.enumerated().map { i, s in
            var m = Mapping(id: UInt64(i + 1))
            (m.memoryStart, m.memoryLimit, m.fileOffset) = (s.memoryStart, s.memoryLimit, s.fileOffset)
            (m.filename, m.buildID) = (Int64(s.filename), Int64(s.buildID))
            m.hasFunctions = s.flags.contains(.hasFunctions)
            m.hasFilenames = s.flags.contains(.hasFilenames)
            m.hasLineNumbers = s.flags.contains(.hasLineNumbers)
            m.hasInlineFrames = s.flags.contains(.hasInlineFrames)
            return m
        }
        p.functions = table.functions.enumerated().map { i, s in
            var f = Function(id: UInt64(i + 1))
            (f.name, f.systemName, f.filename, f.startLine) = (Int64(s.name), Int64(s.systemName), Int64(s.filename), s.startLine)
            return f
        }
        for (i, s) in table.locations.enumerated() {
            var l = Location(id: UInt64(i + 1))
            // Both tables spell "no mapping" as UInt32.max.
            l.mappingIndex = s.mapping == LocationSymbol.noMapping ? Location.noMapping : s.mapping
            l.address = s.address
            l.lineStart = UInt32(p.lines.count)
            l.lineCount = UInt32(s.lines.count)
            p.lines += s.lines.map { Line(functionIndex: $0.function, line: $0.line) }
            p.locations.append(l)
        }
        for (path, value) in zip(paths, values) {
            p.sampleLocations += path
            p.sampleLocationOffsets.append(UInt32(p.sampleLocations.count))
            p.sampleValues.append(value)
            p.sampleLabelOffsets.append(0)
        }
        p.timeNanos = timeNanos
        p.durationNanos = durationNanos
        return p
    }
}
