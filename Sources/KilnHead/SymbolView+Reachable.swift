import KilnModel

extension SymbolView {
    /// No symbols: one root stack node.
    public static let empty = SymbolView(
        strings: [""], functions: [], mappings: [], locations: [],
        stackParents: [0], stackLocations: [StackTree.noLocation])

    /// The stack nodes on a path to a non-zero total (the root always), and
    /// the locations, functions, mappings and strings they reach, renumbered
    /// densely in their old order (so a parent's id stays below its
    /// child's, and string 0 stays `""`); with the totals over the new ids.
    /// - Precondition: `totals.count == stackCount`.
    /// - Complexity: O(stacks + kept symbols).
    public func reachable(from totals: [Int64]) -> (SymbolView, [Int64]) {
        precondition(totals.count == stackCount)
        var keep = [Bool](repeating: false, count: stackCount)
        if !keep.isEmpty { keep[0] = true }
        for s in stride(from: stackCount - 1, to: 0, by: -1) where keep[s] || totals[s] != 0 {
            keep[s] = true
            keep[Int(stackParents[s])] = true
        }
        var remap = SymbolRemap(self)
        var out = DenseSymbols()
        var newID = [UInt32](repeating: 0, count: stackCount)
        var kept: [Int64] = []
        for s in 0..<stackCount where keep[s] {
            newID[s] = UInt32(out.view.stackParents.count)
            out.view.stackParents.append(s == 0 ? 0 : newID[Int(stackParents[s])])
            let location = remap.location(stackLocations[s], into: &out)
            out.view.stackLocations.append(location)
            kept.append(totals[s])
        }
        return (out.view, kept)
    }
}

/// The destination of `reachable`: appends, since its source has no
/// duplicates and `SymbolRemap` asks for each id once; the empty string
/// stays id 0 (a deduplicated source holds it there only).
private struct DenseSymbols: SymbolInterning {
    var view = SymbolView(strings: [""], functions: [], mappings: [], locations: [], stackParents: [], stackLocations: [])

    mutating func string(_ s: String) -> UInt32 {
        guard !s.isEmpty else { return 0 }
        view.strings.append(s)
        return UInt32(view.strings.count - 1)
    }

    mutating func mapping(_ m: MappingSymbol) -> UInt32 {
        view.mappings.append(m)
        return UInt32(view.mappings.count - 1)
    }

    mutating func function(_ f: FunctionSymbol) -> UInt32 {
        view.functions.append(f)
        return UInt32(view.functions.count - 1)
    }

    mutating func location(_ l: LocationSymbol) -> UInt32 {
        view.locations.append(l)
        return UInt32(view.locations.count - 1)
    }
}
