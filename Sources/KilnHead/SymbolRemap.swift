import KilnModel

/// A symbol table that hands out an id per symbol: where a `SymbolRemap`
/// puts what it maps. `SymbolTable` interns by content (equal symbols get
/// one id); a table may also just append, when its source has no duplicates.
public protocol SymbolInterning {
    mutating func string(_ s: String) -> UInt32
    mutating func mapping(_ m: MappingSymbol) -> UInt32
    mutating func function(_ f: FunctionSymbol) -> UInt32
    mutating func location(_ l: LocationSymbol) -> UInt32
}

/// The one walk that carries another table's symbols into a destination:
/// each id of `source` is mapped at most once, on demand, and every symbol
/// is rewritten in the destination's ids before it is interned there. A
/// location brings its mapping first (filename, build ID), then its lines'
/// functions (name, system name, filename), so the destination sees symbols
/// in the order the locations are asked for.
///
/// Used by compaction (blocks into one `SymbolTable`), the pprof merge (each
/// source into the output's table) and an extract's pruning (the reachable
/// symbols into a dense copy).
/// - Complexity: O(1) amortised per id asked for, plus the destination's interning.
public struct SymbolRemap {
    public let source: SymbolView
    /// The destination id of each source id; `unmapped` until asked for.
    private var strings: [UInt32]
    private var mappings: [UInt32]
    private var functions: [UInt32]
    private var locations: [UInt32]
    private static let unmapped = UInt32.max

    public init(_ source: SymbolView) {
        self.source = source
        strings = [UInt32](repeating: Self.unmapped, count: source.strings.count)
        mappings = [UInt32](repeating: Self.unmapped, count: source.mappings.count)
        functions = [UInt32](repeating: Self.unmapped, count: source.functions.count)
        locations = [UInt32](repeating: Self.unmapped, count: source.locations.count)
    }

    public mutating func string(_ id: UInt32, into table: inout some SymbolInterning) -> UInt32 {
        if strings[Int(id)] == Self.unmapped { strings[Int(id)] = table.string(source.strings[Int(id)]) }
        return strings[Int(id)]
    }

    /// `LocationSymbol.noMapping` stays itself.
    public mutating func mapping(_ id: UInt32, into table: inout some SymbolInterning) -> UInt32 {
        guard id != LocationSymbol.noMapping else { return id }
        if mappings[Int(id)] == Self.unmapped {
            var m = source.mappings[Int(id)]
            m.filename = string(m.filename, into: &table)
            m.buildID = string(m.buildID, into: &table)
            mappings[Int(id)] = table.mapping(m)
        }
        return mappings[Int(id)]
    }

    public mutating func function(_ id: UInt32, into table: inout some SymbolInterning) -> UInt32 {
        if functions[Int(id)] == Self.unmapped {
            var f = source.functions[Int(id)]
            f.name = string(f.name, into: &table)
            f.systemName = string(f.systemName, into: &table)
            f.filename = string(f.filename, into: &table)
            functions[Int(id)] = table.function(f)
        }
        return functions[Int(id)]
    }

    /// `StackTree.noLocation` (the root's) stays itself.
    public mutating func location(_ id: UInt32, into table: inout some SymbolInterning) -> UInt32 {
        guard id != StackTree.noLocation else { return id }
        if locations[Int(id)] == Self.unmapped {
            var l = source.locations[Int(id)]
            l.mapping = mapping(l.mapping, into: &table)
            for i in l.lines.indices { l.lines[i].function = function(l.lines[i].function, into: &table) }
            locations[Int(id)] = table.location(l)
        }
        return locations[Int(id)]
    }
}

extension SymbolTable: SymbolInterning {}
