/// The `call_site` stack-trace selector: keeps only the samples whose stack,
/// read root first as function names (inlined frames expanded, caller first),
/// starts with `prefix` — the subtree Grafana shows when a user focuses on a
/// frame. An empty prefix keeps everything.
///
/// Applied to a source's per-stack totals before they are merged: one pass
/// over the source's stack nodes (parents before children), nothing per sample.
public struct CallSiteFilter: Sendable, Equatable {
    public var prefix: [String]

    public init(_ prefix: [String] = []) { self.prefix = prefix }

    public var keepsEverything: Bool { prefix.isEmpty }

    /// Zeroes the totals of stack nodes outside the prefix.
    public func apply(_ totals: inout StackTotals, symbols: SymbolView) {
        guard !prefix.isEmpty else { return }
        let k = prefix.count
        // Frames of the prefix matched along each node's path; -1 once a frame differs.
        var matched = [Int](repeating: 0, count: symbols.stackCount)
        var keep = [Bool](repeating: false, count: symbols.stackCount)
        for s in 1..<max(symbols.stackCount, 1) {
            var m = matched[Int(symbols.stackParents[s])]
            if m >= 0 && m < k {
                let loc = symbols.locations[Int(symbols.stackLocations[s])]
                let frames =
                    loc.lines.isEmpty
                    ? ["0x" + String(loc.address, radix: 16)]
                    : loc.lines.reversed().map { symbols.strings[Int(symbols.functions[Int($0.function)].name)] }
                for f in frames where m >= 0 && m < k {
                    m = f == prefix[m] ? m + 1 : -1
                }
            }
            matched[s] = m
            keep[s] = m == k
        }
        totals.values.withUnsafeMutableBufferPointer { t in
            for i in 0..<t.count where !keep[i] { t[i] = 0 }
        }
    }
}
