import KilnHead
import KilnModel

extension LegacyRoutes {
    /// `/pyroscope/render?format=dot`: the merged profile as a Graphviz call
    /// graph, as `go tool pprof -dot` draws one (Pyroscope answers dot with
    /// pprof's graph): a box per function with its flat and cumulative values,
    /// an edge per caller → callee with the value flowing through it; the
    /// `maxNodes` functions of largest cumulative value are kept.
    ///
    /// Cumulative values count a function once per stack, however often it
    /// recurses in it, as pprof counts them.
    /// - Complexity: O(tree nodes × depth) for the recursion check.
    static func dot(_ tree: FlameTree, type: ProfileTypeID, maxNodes: Int) -> String {
        var flat: [String: Int64] = [:]
        var cum: [String: Int64] = [:]
        var edges: [Pair: Int64] = [:]
        for i in tree.names.indices where i > 0 {
            let name = tree.names[i]
            flat[name, default: 0] += tree.selfValue[i]
            // Once per stack: skip when an ancestor is the same function.
            var a = Int(tree.parent[i])
            var recursive = false
            while a > 0 {
                if tree.names[a] == name {
                    recursive = true
                    break
                }
                a = Int(tree.parent[a])
            }
            if !recursive { cum[name, default: 0] += tree.total[i] }
            let p = Int(tree.parent[i])
            if p > 0, tree.names[p] != name { edges[Pair(from: tree.names[p], to: name), default: 0] += tree.total[i] }
        }
        let total = max(tree.total.first ?? 0, 1)
        let kept = cum.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(max(maxNodes, 1))
        var ids: [String: Int] = [:]
        for (i, n) in kept.enumerated() { ids[n.key] = i + 1 }
        func percent(_ v: Int64) -> String { String(format: "%.2f%%", Double(v) * 100 / Double(total)) }
        func escape(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") }
        var out = "digraph \"\(escape(type.name))\" {\n"
        out += "node [style=filled fillcolor=\"#f8f8f8\"]\n"
        out += "subgraph cluster_L { \"Type: \(escape(type.sampleType))\" [shape=box fontsize=16 label=\"Type: \(escape(type.sampleType))\\l"
        out += "Showing nodes accounting for \(kept.reduce(0) { $0 + (flat[$1.key] ?? 0) }) \(escape(type.sampleUnit)) of \(total) total\\l\"] }\n"
        for (name, c) in kept {
            let f = flat[name] ?? 0
            let size = 8 + Int(32 * Double(f) / Double(total))
            out += "N\(ids[name]!) [label=\"\(escape(name))\\n\(f) (\(percent(f)))\\nof \(c) (\(percent(c)))\" fontsize=\(size) shape=box]\n"
        }
        for (pair, v) in edges.sorted(by: { $0.value != $1.value ? $0.value > $1.value : ($0.key.from, $0.key.to) < ($1.key.from, $1.key.to) }) {
            guard let from = ids[pair.from], let to = ids[pair.to] else { continue }
            out += "N\(from) -> N\(to) [label=\" \(v)\" weight=\(max(1, Int(100 * Double(v) / Double(total))))]\n"
        }
        return out + "}\n"
    }

    struct Pair: Hashable {
        var from: String
        var to: String
    }
}
