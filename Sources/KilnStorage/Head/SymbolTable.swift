import KilnModel
import KilnPprof

/// A tenant's deduplicated symbols: strings, mappings, functions, locations
/// and the stack-trace tree. Every entity has a dense `UInt32` id that is its
/// index in the corresponding array; id 0 of `strings` is `""`.
///
/// Symbols only grow: an id, once handed out, names the same symbol forever
/// (for the life of the head).
public struct SymbolTable: Sendable {
    public private(set) var strings: [String] = [""]
    private var stringIndex: [String: UInt32] = ["": 0]
    public private(set) var functions: [FunctionSymbol] = []
    private var functionIndex: [FunctionSymbol: UInt32] = [:]
    public private(set) var mappings: [MappingSymbol] = []
    private var mappingIndex: [MappingSymbol: UInt32] = [:]
    public private(set) var locations: [LocationSymbol] = []
    private var locationIndex: [LocationSymbol: UInt32] = [:]
    public var stacks = StackTree()

    public init() {}

    public mutating func string(_ s: String) -> UInt32 {
        if let id = stringIndex[s] { return id }
        let id = UInt32(strings.count)
        strings.append(s)
        stringIndex[s] = id
        return id
    }

    public mutating func function(_ f: FunctionSymbol) -> UInt32 {
        if let id = functionIndex[f] { return id }
        let id = UInt32(functions.count)
        functions.append(f)
        functionIndex[f] = id
        return id
    }

    public mutating func mapping(_ m: MappingSymbol) -> UInt32 {
        if let id = mappingIndex[m] { return id }
        let id = UInt32(mappings.count)
        mappings.append(m)
        mappingIndex[m] = id
        return id
    }

    public mutating func location(_ l: LocationSymbol) -> UInt32 {
        if let id = locationIndex[l] { return id }
        let id = UInt32(locations.count)
        locations.append(l)
        locationIndex[l] = id
        return id
    }

    /// Interns the symbols a profile's samples use and returns, for each sample,
    /// its stack id.
    ///
    /// - Complexity: O(strings + functions + locations referenced + total stack depth),
    ///   one hash lookup each.
    public mutating func internStacks(of p: Profile) -> [UInt32] {
        var stringMap = [UInt32](repeating: .max, count: p.strings.count)
        func str(_ i: Int64) -> UInt32 {
            let i = Int(i)
            if stringMap[i] == .max { stringMap[i] = string(p.strings[i]) }
            return stringMap[i]
        }
        var functionMap = [UInt32](repeating: .max, count: p.functions.count)
        var mappingMap = [UInt32](repeating: .max, count: p.mappings.count)
        var locationMap = [UInt32](repeating: .max, count: p.locations.count)

        func location(_ li: UInt32) -> UInt32 {
            let li = Int(li)
            if locationMap[li] != .max { return locationMap[li] }
            let loc = p.locations[li]
            var mapping = LocationSymbol.noMapping
            if loc.mappingIndex != Location.noMapping {
                let mi = Int(loc.mappingIndex)
                if mappingMap[mi] == .max {
                    let m = p.mappings[mi]
                    let flags = (m.hasFunctions ? 1 : 0) | (m.hasFilenames ? 2 : 0) | (m.hasLineNumbers ? 4 : 0) | (m.hasInlineFrames ? 8 : 0)
                    mappingMap[mi] = self.mapping(MappingSymbol(
                        memoryStart: m.memoryStart, memoryLimit: m.memoryLimit, fileOffset: m.fileOffset,
                        filename: str(m.filename), buildID: str(m.buildID), flags: UInt8(flags)))
                }
                mapping = mappingMap[mi]
            }
            var lines: [LineSymbol] = []
            lines.reserveCapacity(Int(loc.lineCount))
            for line in p.lines(ofLocation: li) {
                let fi = Int(line.functionIndex)
                if functionMap[fi] == .max {
                    let f = p.functions[fi]
                    functionMap[fi] = function(FunctionSymbol(
                        name: str(f.name), systemName: str(f.systemName), filename: str(f.filename), startLine: f.startLine))
                }
                lines.append(LineSymbol(function: functionMap[fi], line: line.line))
            }
            let id = self.location(LocationSymbol(mapping: mapping, address: loc.address, lines: lines))
            locationMap[li] = id
            return id
        }

        var out = [UInt32](repeating: 0, count: p.sampleCount)
        for i in 0..<p.sampleCount {
            var node = StackTree.root
            for li in p.locations(ofSample: i).reversed() {
                node = stacks.child(of: node, location: location(li))
            }
            out[i] = node
        }
        return out
    }
}
