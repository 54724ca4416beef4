import KilnModel
import KilnPprof

/// Builds one pprof profile from per-source stack totals (`SelectMergeProfile`).
///
/// Each source has its own symbol ids; its strings, mappings, functions and
/// locations are mapped into the output's tables once per source (content
/// interning: equal symbols from different blocks become one), then every
/// stack node with a nonzero total becomes a sample whose location list is
/// the node's path, leaf first. Samples with equal paths from different
/// sources are summed into one.
///
/// Cost: O(symbols + nonzero stacks × depth) per source; nothing per raw sample.
public struct PprofMerger {
    private var strings: [String: Int64] = ["": 0]
    private var stringTable = StringTable([""])
    private var mappings: [Mapping] = []
    private var mappingIndex: [MappingSymbol: UInt32] = [:]
    private var functions: [Function] = []
    private var functionIndex: [FunctionKey: UInt32] = [:]
    private var locations: [Location] = []
    private var lines: [Line] = []
    private var locationIndex: [LocationKey: UInt32] = [:]
    private var sampleOfPath: [[UInt32]: Int] = [:]
    private var paths: [[UInt32]] = []
    private var values: [Int64] = []

    public init() {}

    private struct FunctionKey: Hashable {
        var name: Int64, systemName: Int64, filename: Int64, startLine: Int64
    }

    private struct LocationKey: Hashable {
        var mapping: UInt32, address: UInt64, lines: [Line]
    }

    private mutating func string(_ s: String) -> Int64 {
        if let i = strings[s] { return i }
        let i = stringTable.append(s)
        strings[s] = i
        return i
    }

    /// Adds one source's totals (indexed by its stack ids).
    /// - Precondition: `totals.count == symbols.stackCount`.
    public mutating func add(_ totals: [Int64], symbols: SymbolView) {
        var stringMap = [Int64](repeating: -1, count: symbols.strings.count)
        func str(_ id: UInt32) -> Int64 {
            if stringMap[Int(id)] < 0 { stringMap[Int(id)] = string(symbols.strings[Int(id)]) }
            return stringMap[Int(id)]
        }
        var mappingMap = [UInt32?](repeating: nil, count: symbols.mappings.count)
        var functionMap = [UInt32?](repeating: nil, count: symbols.functions.count)
        var locationMap = [UInt32?](repeating: nil, count: symbols.locations.count)
        func location(_ id: UInt32) -> UInt32 {
            if let l = locationMap[Int(id)] { return l }
            let loc = symbols.locations[Int(id)]
            var mapping = Location.noMapping
            if loc.mapping != LocationSymbol.noMapping {
                if let m = mappingMap[Int(loc.mapping)] {
                    mapping = m
                } else {
                    let s = symbols.mappings[Int(loc.mapping)]
                    let key = MappingSymbol(
                        memoryStart: s.memoryStart, memoryLimit: s.memoryLimit, fileOffset: s.fileOffset,
                        filename: UInt32(str(s.filename)), buildID: UInt32(str(s.buildID)), flags: s.flags)
                    if let known = mappingIndex[key] {
                        mapping = known
                    } else {
                        var m = Mapping(id: UInt64(mappings.count + 1))
                        (m.memoryStart, m.memoryLimit, m.fileOffset) = (s.memoryStart, s.memoryLimit, s.fileOffset)
                        (m.filename, m.buildID) = (Int64(key.filename), Int64(key.buildID))
                        m.hasFunctions = s.flags.contains(.hasFunctions)
                        m.hasFilenames = s.flags.contains(.hasFilenames)
                        m.hasLineNumbers = s.flags.contains(.hasLineNumbers)
                        m.hasInlineFrames = s.flags.contains(.hasInlineFrames)
                        mapping = UInt32(mappings.count)
                        mappings.append(m)
                        mappingIndex[key] = mapping
                    }
                    mappingMap[Int(loc.mapping)] = mapping
                }
            }
            let ls = loc.lines.map { line -> Line in
                if functionMap[Int(line.function)] == nil {
                    let f = symbols.functions[Int(line.function)]
                    let key = FunctionKey(name: str(f.name), systemName: str(f.systemName), filename: str(f.filename), startLine: f.startLine)
                    if let known = functionIndex[key] {
                        functionMap[Int(line.function)] = known
                    } else {
                        var fn = Function(id: UInt64(functions.count + 1))
                        (fn.name, fn.systemName, fn.filename, fn.startLine) = (key.name, key.systemName, key.filename, key.startLine)
                        functionIndex[key] = UInt32(functions.count)
                        functionMap[Int(line.function)] = UInt32(functions.count)
                        functions.append(fn)
                    }
                }
                return Line(functionIndex: functionMap[Int(line.function)]!, line: line.line)
            }
            let key = LocationKey(mapping: mapping, address: loc.address, lines: ls)
            let index: UInt32
            if let known = locationIndex[key] {
                index = known
            } else {
                var l = Location(id: UInt64(locations.count + 1))
                l.mappingIndex = mapping
                l.address = loc.address
                l.lineStart = UInt32(lines.count)
                l.lineCount = UInt32(ls.count)
                lines += ls
                index = UInt32(locations.count)
                locations.append(l)
                locationIndex[key] = index
            }
            locationMap[Int(id)] = index
            return index
        }
        for node in 1..<max(totals.count, 1) where totals[node] != 0 {
            var path: [UInt32] = []
            var n = node
            while n != 0 {
                path.append(location(symbols.stackLocations[n]))
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

    /// The merged profile: one sample type, the type's period type, every sample.
    public func build(_ type: ProfileTypeID, timeNanos: Int64, durationNanos: Int64) -> Profile {
        var merger = self
        var p = Profile()
        p.sampleTypes = [ValueType(type: merger.string(type.sampleType), unit: merger.string(type.sampleUnit))]
        p.periodType = ValueType(type: merger.string(type.periodType), unit: merger.string(type.periodUnit))
        p.strings = merger.stringTable
        p.mappings = mappings
        p.functions = functions
        p.locations = locations
        p.lines = lines
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
