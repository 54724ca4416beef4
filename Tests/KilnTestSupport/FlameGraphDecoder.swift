/// Decodes Pyroscope's level-encoded flame graph the way Grafana does (walk
/// the previous level's nodes in order; a node belongs to the parent whose
/// span contains it), validating the layout on the way.
public enum FlameGraphDecoder {
    public struct Node: Equatable, Sendable {
        public var total: Int64
        public var selfValue: Int64
        public init(total: Int64, selfValue: Int64) {
            self.total = total
            self.selfValue = selfValue
        }
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Every node by its path of names from the root's children, joined by `;`
    /// (the root itself is `""`).
    /// - Throws: `Invalid` when the layout breaks an invariant Grafana relies on:
    ///   one root named `names[0]`, children inside their parent's span after its
    ///   self, nodes in ascending non-overlapping order, total = self + children.
    public static func decode(names: [String], levels: [[Int64]]) throws -> [String: Node] {
        struct Placed {
            var x: Int64
            var total: Int64
            var selfValue: Int64
            var path: String
            var childSum: Int64 = 0
        }
        guard let first = levels.first, first.count == 4, first[3] == 0, names.first == "total" else {
            throw Invalid(description: "level 0 must hold exactly the root named \"total\" at names[0]")
        }
        var out: [String: Node] = ["": Node(total: first[1], selfValue: first[2])]
        var previous = [Placed(x: first[0], total: first[1], selfValue: first[2], path: "")]
        for (depth, level) in levels.enumerated().dropFirst() {
            guard level.count % 4 == 0 else { throw Invalid(description: "level \(depth) length \(level.count) is not a multiple of 4") }
            var current: [Placed] = []
            var prevEnd: Int64 = 0
            var parentIndex = 0
            for i in stride(from: 0, to: level.count, by: 4) {
                let x = prevEnd + level[i]
                let total = level[i + 1]
                let selfValue = level[i + 2]
                let nameIndex = Int(level[i + 3])
                guard level[i] >= 0 else { throw Invalid(description: "level \(depth): node overlaps its left neighbour") }
                guard nameIndex >= 0 && nameIndex < names.count else {
                    throw Invalid(description: "level \(depth): name index \(nameIndex) out of range")
                }
                prevEnd = x + total
                while parentIndex < previous.count && previous[parentIndex].x + previous[parentIndex].total < x + total { parentIndex += 1 }
                guard parentIndex < previous.count, previous[parentIndex].x + previous[parentIndex].selfValue <= x else {
                    throw Invalid(description: "level \(depth): node \(names[nameIndex]) at x=\(x) lies in no parent's child span")
                }
                let parentPath = previous[parentIndex].path
                let path = parentPath.isEmpty ? names[nameIndex] : parentPath + ";" + names[nameIndex]
                guard out[path] == nil else { throw Invalid(description: "duplicate node \(path)") }
                out[path] = Node(total: total, selfValue: selfValue)
                previous[parentIndex].childSum += total
                current.append(Placed(x: x, total: total, selfValue: selfValue, path: path))
            }
            for p in previous where p.selfValue + p.childSum != p.total {
                throw Invalid(description: "node \(p.path): total \(p.total) != self \(p.selfValue) + children \(p.childSum)")
            }
            previous = current
        }
        for p in previous where p.selfValue != p.total {
            throw Invalid(description: "leaf \(p.path): total \(p.total) != self \(p.selfValue)")
        }
        return out
    }
}
