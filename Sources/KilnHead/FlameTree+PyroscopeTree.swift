extension FlameTree {
    /// The tree in Pyroscope's `PROFILE_FORMAT_TREE` encoding (its
    /// `model.Tree.MarshalTruncate`): nodes depth first from a virtual root
    /// (empty name, self 0), each as `uvarint name length, name bytes,
    /// uvarint self, uvarint child count`, its children following. When the
    /// tree has more than `maxNodes` nodes, children whose total is below the
    /// `maxNodes`-th largest total are folded into one `other` child per
    /// parent, whose self is their total (so totals are kept).
    /// - Complexity: O(n log n) for the threshold, O(n) for the encoding.
    public func pyroscopeTreeBytes(maxNodes: Int64) -> [UInt8] {
        guard names.count > 1 else { return [] }
        var children = [[Int]](repeating: [], count: names.count)
        for i in 1..<names.count { children[Int(parent[i])].append(i) }
        // The smallest total kept: the maxNodes-th largest, when there are more nodes.
        var minTotal: Int64 = 0
        if maxNodes > 0, Int64(names.count - 1) > maxNodes {
            minTotal = total.dropFirst().sorted(by: >)[Int(maxNodes) - 1]
        }
        var out: [UInt8] = []
        func uvarint(_ v: UInt64) {
            var v = v
            while v >= 0x80 {
                out.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
        }
        func write(_ name: String, _ selfValue: Int64, _ childCount: Int) {
            uvarint(UInt64(name.utf8.count))
            out += name.utf8
            uvarint(UInt64(max(selfValue, 0)))
            uvarint(UInt64(childCount))
        }
        // Depth first with an explicit stack: deep recursion cannot overflow it.
        enum Item {
            case node(Int)
            case other(Int64)
        }
        var stack: [Item] = [.node(0)]
        while let item = stack.popLast() {
            switch item {
            case .other(let value):
                write(FlameGraph.otherName, value, 0)
            case .node(let i):
                var kept: [Int] = []
                var folded: Int64 = 0
                for c in children[i] {
                    if total[c] >= minTotal || names[c] == FlameGraph.otherName { kept.append(c) } else { folded += total[c] }
                }
                write(i == 0 ? "" : names[i], i == 0 ? 0 : selfValue[i], kept.count + (folded > 0 ? 1 : 0))
                if folded > 0 { stack.append(.other(folded)) }
                stack += kept.reversed().map { .node($0) }
            }
        }
        return out
    }
}
