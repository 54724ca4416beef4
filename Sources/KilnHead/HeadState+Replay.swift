import KilnFormat
import KilnModel

/// A WAL record that does not fit the head it is replayed onto.
public struct ReplayMismatch: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}

extension HeadState {
    /// Applies a logged push: appends its symbols, stack nodes, series and
    /// profiles, checking that every new entry receives the id the record says
    /// and that every reference points at an existing entry.
    ///
    /// - Throws: `ReplayMismatch` when the record does not continue this state
    ///   (the head is then partially updated and must be discarded).
    /// - Complexity: O(symbols + samples); samples are copied, not re-interned.
    public mutating func apply(_ r: IngestRecord) throws(ReplayMismatch) {
        func expect(_ what: String, first: UInt32, count: Int) throws(ReplayMismatch) {
            guard Int(first) == count else {
                throw ReplayMismatch(reason: "record starts \(what) at id \(first), but the head has \(count)")
            }
        }
        func check(_ ok: Bool, _ reason: @autoclosure () -> String) throws(ReplayMismatch) {
            if !ok { throw ReplayMismatch(reason: reason()) }
        }

        try expect("strings", first: r.firstString, count: symbols.strings.count)
        for s in r.strings {
            let before = symbols.strings.count
            try check(symbols.string(s) == UInt32(before), "string \(before) duplicates an earlier one")
        }
        let nStrings = UInt32(symbols.strings.count)

        try expect("mappings", first: r.firstMapping, count: symbols.mappings.count)
        for m in r.mappings {
            try check(m.filename < nStrings && m.buildID < nStrings, "mapping refers to a missing string")
            let before = symbols.mappings.count
            try check(symbols.mapping(m) == UInt32(before), "mapping \(before) duplicates an earlier one")
        }
        try expect("functions", first: r.firstFunction, count: symbols.functions.count)
        for f in r.functions {
            try check(f.name < nStrings && f.systemName < nStrings && f.filename < nStrings, "function refers to a missing string")
            let before = symbols.functions.count
            try check(symbols.function(f) == UInt32(before), "function \(before) duplicates an earlier one")
        }
        let nMappings = UInt32(symbols.mappings.count)
        let nFunctions = UInt32(symbols.functions.count)
        try expect("locations", first: r.firstLocation, count: symbols.locations.count)
        for l in r.locations {
            try check(l.mapping == LocationSymbol.noMapping || l.mapping < nMappings, "location refers to a missing mapping")
            try check(l.lines.allSatisfy { $0.function < nFunctions }, "location refers to a missing function")
            let before = symbols.locations.count
            try check(symbols.location(l) == UInt32(before), "location \(before) duplicates an earlier one")
        }
        let nLocations = UInt32(symbols.locations.count)
        try expect("stack nodes", first: r.firstStack, count: symbols.stacks.count)
        try check(r.stackParents.count == r.stackLocations.count, "stack parents and locations differ in number")
        for i in r.stackParents.indices {
            let id = UInt32(symbols.stacks.count)
            try check(r.stackParents[i] < id && r.stackLocations[i] < nLocations, "stack node \(id) refers to a missing parent or location")
            try check(symbols.stacks.child(of: r.stackParents[i], location: r.stackLocations[i]) == id, "stack node \(id) duplicates an earlier one")
        }
        try expect("series", first: r.firstSeries, count: series.count)
        for labels in r.series {
            guard let typeID = labels[ReservedLabels.profileType], let type = try? ProfileTypeID(parsing: typeID) else {
                throw ReplayMismatch(reason: "series \(labels) has no valid \(ReservedLabels.profileType) label")
            }
            let before = series.count
            try check(seriesRef(labels: labels, profileType: type) == UInt32(before), "series \(before) duplicates an earlier one")
        }
        let nSeries = UInt32(series.count)
        let nStacks = UInt32(symbols.stacks.count)
        for p in r.profiles {
            try check(p.seriesRef < nSeries, "profile refers to missing series \(p.seriesRef)")
            try check(p.stacks.count == p.values.count && !p.stacks.isEmpty, "profile has mismatched or no samples")
            try check(p.stacks.allSatisfy { $0 < nStacks }, "profile refers to a missing stack")
            appendProfile(
                series: p.seriesRef, timeNanos: p.timeNanos, durationNanos: p.durationNanos, spanID: p.spanID,
                stacks: p.stacks, values: p.values)
        }
    }
}
