import Glibc
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
    private var stringIndex: HashIndex = {
        var index = HashIndex()
        index.insert(ContentHash.string(""), 0)
        return index
    }()
    public private(set) var functions: [FunctionSymbol] = []
    private var functionIndex = HashIndex()
    public private(set) var mappings: [MappingSymbol] = []
    private var mappingIndex: [MappingSymbol: UInt32] = [:]
    public private(set) var locations: [LocationSymbol] = []
    private var locationIndex = HashIndex()
    public var stacks = StackTree()

    public init() {}

    public mutating func string(_ s: String) -> UInt32 {
        let h = ContentHash.string(s)
        if let id = stringIndex.find(h, { strings[Int($0)] == s }) { return id }
        return appendString(s, hash: h)
    }

    /// Interns a string given as UTF-8 bytes; allocates only when it is new.
    mutating func string(utf8 bytes: ArraySlice<UInt8>) -> UInt32 {
        let h = ContentHash.bytes(bytes)
        if let id = stringIndex.find(h, { Self.utf8(of: strings[Int($0)], equals: bytes) }) { return id }
        return appendString(String(decoding: bytes, as: UTF8.self), hash: h)
    }

    /// Byte comparison through contiguous storage (native strings have it): a
    /// memcmp instead of iterating the UTF-8 view.
    private static func utf8(of s: String, equals bytes: ArraySlice<UInt8>) -> Bool {
        guard s.utf8.count == bytes.count else { return false }
        return s.utf8.withContiguousStorageIfAvailable { stored in
            bytes.withUnsafeBufferPointer { b in memcmp(stored.baseAddress!, b.baseAddress!, b.count) == 0 }
        } ?? s.utf8.elementsEqual(bytes)
    }

    private mutating func appendString(_ s: String, hash: UInt64) -> UInt32 {
        let id = UInt32(strings.count)
        strings.append(s)
        stringIndex.insert(hash, id)
        return id
    }

    static func hash(_ f: FunctionSymbol) -> UInt64 {
        ContentHash.mix(ContentHash.mix(ContentHash.mix(UInt64(f.name), UInt64(f.systemName)), UInt64(f.filename)), UInt64(bitPattern: f.startLine))
    }

    public mutating func function(_ f: FunctionSymbol) -> UInt32 {
        let h = Self.hash(f)
        if let id = functionIndex.find(h, { functions[Int($0)] == f }) { return id }
        let id = UInt32(functions.count)
        functions.append(f)
        functionIndex.insert(h, id)
        return id
    }

    public mutating func mapping(_ m: MappingSymbol) -> UInt32 {
        if let id = mappingIndex[m] { return id }
        let id = UInt32(mappings.count)
        mappings.append(m)
        mappingIndex[m] = id
        return id
    }

    static func hash(mapping: UInt32, address: UInt64, lines: some Collection<LineSymbol>) -> UInt64 {
        var h = ContentHash.mix(UInt64(mapping), address)
        for l in lines { h = ContentHash.mix(ContentHash.mix(h, UInt64(l.function)), UInt64(bitPattern: l.line)) }
        return h
    }

    public mutating func location(_ l: LocationSymbol) -> UInt32 {
        let h = Self.hash(mapping: l.mapping, address: l.address, lines: l.lines)
        if let id = locationIndex.find(h, { locations[Int($0)] == l }) { return id }
        return appendLocation(l, hash: h)
    }

    private mutating func appendLocation(_ l: LocationSymbol, hash: UInt64) -> UInt32 {
        let id = UInt32(locations.count)
        locations.append(l)
        locationIndex.insert(hash, id)
        return id
    }

    /// Interns the symbols a profile's samples use and returns, for each sample,
    /// its stack id.
    ///
    /// - Complexity: O(strings + functions + locations referenced + total stack
    ///   depth): one hash lookup per symbol and per sample, one per frame only
    ///   for stacks the tenant has not seen before.
    public mutating func internStacks(of p: Profile) -> [UInt32] {
        var stringMap = [UInt32](repeating: .max, count: p.strings.count)
        func str(_ i: Int64) -> UInt32 {
            let i = Int(i)
            if stringMap[i] == .max { stringMap[i] = string(utf8: p.strings.utf8(i)) }
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
                    let flags = MappingFlags(
                        hasFunctions: m.hasFunctions, hasFilenames: m.hasFilenames, hasLineNumbers: m.hasLineNumbers,
                        hasInlineFrames: m.hasInlineFrames)
                    mappingMap[mi] = self.mapping(
                        MappingSymbol(
                            memoryStart: m.memoryStart, memoryLimit: m.memoryLimit, fileOffset: m.fileOffset,
                            filename: str(m.filename), buildID: str(m.buildID), flags: flags))
                }
                mapping = mappingMap[mi]
            }
            let pprofLines = p.lines(ofLocation: li)
            for line in pprofLines {
                let fi = Int(line.functionIndex)
                if functionMap[fi] == .max {
                    let f = p.functions[fi]
                    functionMap[fi] = function(
                        FunctionSymbol(
                            name: str(f.name), systemName: str(f.systemName), filename: str(f.filename), startLine: f.startLine))
                }
            }
            // Look the location up without building it: the lines are compared in place.
            let lines = pprofLines.lazy.map { LineSymbol(function: functionMap[Int($0.functionIndex)], line: $0.line) }
            let h = Self.hash(mapping: mapping, address: loc.address, lines: lines)
            let id =
                locationIndex.find(h) { candidate in
                    let c = locations[Int(candidate)]
                    return c.mapping == mapping && c.address == loc.address && c.lines.elementsEqual(lines)
                } ?? appendLocation(LocationSymbol(mapping: mapping, address: loc.address, lines: Array(lines)), hash: h)
            locationMap[li] = id
            return id
        }

        var out = [UInt32](repeating: 0, count: p.sampleCount)
        var path: [UInt32] = []
        for i in 0..<p.sampleCount {
            path.removeAll(keepingCapacity: true)
            for li in p.locations(ofSample: i).reversed() { path.append(location(li)) }
            out[i] = path.withUnsafeBufferPointer { stacks.node(path: $0) }
        }
        return out
    }
}
