import KilnModel

/// Read-only symbols as queries need them: the same arrays and ids for a
/// head's `SymbolTable` and for a block's `symbols.kcol`.
///
/// Invariants (checked when a block is opened): every string, function,
/// location and stack id stored anywhere is below the matching count; a stack
/// node's parent id is below its own.
public struct SymbolView: Sendable {
    public var strings: [String]
    public var functions: [FunctionSymbol]
    public var mappings: [MappingSymbol]
    public var locations: [LocationSymbol]
    public var stackParents: [UInt32]
    public var stackLocations: [UInt32]

    public init(
        strings: [String], functions: [FunctionSymbol], mappings: [MappingSymbol], locations: [LocationSymbol],
        stackParents: [UInt32], stackLocations: [UInt32]
    ) {
        self.strings = strings
        self.functions = functions
        self.mappings = mappings
        self.locations = locations
        self.stackParents = stackParents
        self.stackLocations = stackLocations
    }

    public var stackCount: Int { stackParents.count }
}

extension SymbolTable {
    /// The table's arrays, shared (copy-on-write), not copied.
    public var view: SymbolView {
        SymbolView(
            strings: strings, functions: functions, mappings: mappings, locations: locations,
            stackParents: stacks.parents, stackLocations: stacks.locations)
    }
}
