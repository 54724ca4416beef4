/// Turns per-stack totals into a flame graph of function names.
///
/// Stacks are symbolised to function names only (inlined frames expand to
/// one node each, caller first; a location without lines is named by its
/// address) and merged by identical name paths. Children are laid out after
/// their parent's self, in ascending name order.
public struct FlameGraphBuilder {
    /// Node arrays of the name tree; node 0 is the root.
    private var parent: [Int32] = [-1]
    private var name: [Int32] = [0]
    private var selfValue: [Int64] = [0]
    /// Self values of the right-hand side of a diff (`add(…, right: true)`); empty until used.
    private var rightSelf: [Int64] = []
    private var childIndex: [UInt64: Int32] = [:]
    /// Local name table: index 0 is "total".
    private var names: [String] = ["total"]
    private var nameOfText: [String: Int32] = [:]

    public init() {}

    /// Builds the flame graph for `totals` over `symbols`.
    /// - Parameter maxNodes: the `max_nodes` limit, already defaulted and validated (> 0).
    public static func build(_ totals: StackTotals, symbols: SymbolView, maxNodes: Int64) -> FlameGraph {
        var b = FlameGraphBuilder()
        b.add(totals.values, symbols: symbols)
        return b.render(maxNodes: maxNodes)
    }

    /// Merges per-stack totals of one source (head or block, each with its
    /// own symbol ids) into the tree, by function-name paths.
    /// - Precondition: `totals.count == symbols.stackCount`.
    /// - Parameter right: the right-hand side of a diff (`renderDiff`).
    public mutating func add(_ totals: [Int64], symbols: SymbolView, right: Bool = false) {
        var nameOfString = [Int32](repeating: -1, count: symbols.strings.count)
        func stringName(_ id: UInt32) -> Int32 {
            if nameOfString[Int(id)] >= 0 { return nameOfString[Int(id)] }
            let n = textName(symbols.strings[Int(id)])
            nameOfString[Int(id)] = n
            return n
        }
        // Which stack nodes lie on a path to a non-zero total (parents have smaller ids).
        var needed = [Bool](repeating: false, count: totals.count)
        for s in stride(from: totals.count - 1, to: 0, by: -1) where needed[s] || totals[s] != 0 {
            needed[s] = true
            needed[Int(symbols.stackParents[s])] = true
        }
        var nodeOf = [Int32](repeating: 0, count: totals.count)
        func addSelf(_ node: Int32, _ v: Int64) {
            if right {
                if rightSelf.count < parent.count { rightSelf += [Int64](repeating: 0, count: parent.count - rightSelf.count) }
                rightSelf[Int(node)] &+= v
            } else {
                selfValue[Int(node)] &+= v
            }
        }
        addSelf(0, totals.first ?? 0)
        for s in 1..<max(totals.count, 1) where needed[s] {
            var node = nodeOf[Int(symbols.stackParents[s])]
            let loc = symbols.locations[Int(symbols.stackLocations[s])]
            if loc.lines.isEmpty {
                node = child(node, textName("0x" + String(loc.address, radix: 16)))
            } else {
                for line in loc.lines.reversed() {
                    node = child(node, stringName(symbols.functions[Int(line.function)].name))
                }
            }
            nodeOf[s] = node
            addSelf(node, totals[s])
        }
    }

    private mutating func textName(_ s: String) -> Int32 {
        if let n = nameOfText[s] { return n }
        let n = Int32(names.count)
        names.append(s)
        nameOfText[s] = n
        return n
    }

    private mutating func child(_ p: Int32, _ n: Int32) -> Int32 {
        let key = UInt64(UInt32(p)) << 32 | UInt64(UInt32(n))
        if let c = childIndex[key] { return c }
        let c = Int32(parent.count)
        parent.append(p)
        name.append(n)
        selfValue.append(0)
        childIndex[key] = c
        return c
    }

    /// Every node's children in ascending name order: node `p`'s are
    /// `children[childStart[p] ..< childStart[p + 1]]` (a counting sort by parent).
    private func sortedChildren() -> (childStart: [Int], children: [Int32]) {
        let count = parent.count
        var childStart = [Int](repeating: 0, count: count + 1)
        for n in 1..<max(count, 1) { childStart[Int(parent[n]) + 1] += 1 }
        for i in 0..<count { childStart[i + 1] += childStart[i] }
        var fill = childStart
        var children = [Int32](repeating: 0, count: max(count - 1, 0))
        for n in 1..<max(count, 1) {
            let p = Int(parent[n])
            children[fill[p]] = Int32(n)
            fill[p] += 1
        }
        for p in 0..<count where childStart[p + 1] - childStart[p] > 1 {
            children[childStart[p]..<childStart[p + 1]].sort { names[Int(name[Int($0)])] < names[Int(name[Int($1)])] }
        }
        return (childStart, children)
    }

    /// Lays the tree out as levels, applying the `max_nodes` "other" rule.
    public func render(maxNodes: Int64) -> FlameGraph {
        let count = parent.count
        var total = selfValue
        for n in stride(from: count - 1, to: 0, by: -1) { total[Int(parent[n])] &+= total[n] }
        if total[0] == 0 && count == 1 { return .empty }

        let (childStart, children) = sortedChildren()

        // The "other" threshold: the max_nodes-th largest node total.
        var minValue: Int64 = 0
        if Int64(count - 1) > maxNodes {
            var totals = Array(total[1...])
            totals.sort(by: >)
            minValue = totals[Int(maxNodes) - 1]
        }

        // Depth-first, right to left (children pushed in ascending order, last
        // popped first), so each level is filled in descending x and reversed.
        var out = Output(names: names)
        struct Item {
            var node: Int32
            var x: Int64
            var depth: Int
            var otherTotal: Int64
        }
        var stack = [Item(node: 0, x: 0, depth: 0, otherTotal: 0)]
        while let item = stack.popLast() {
            if item.node < 0 {
                let other = out.nameIndex(FlameGraph.otherName)
                out.emit(depth: item.depth, x: item.x, total: item.otherTotal, self: item.otherTotal, name: other)
                continue
            }
            let n = Int(item.node)
            out.emit(depth: item.depth, x: item.x, total: total[n], self: selfValue[n], name: out.nameIndex(name[n]))
            // Wrapping arithmetic: totals of hostile values may wrap, but must never trap.
            var x = item.x &+ selfValue[n]
            var otherTotal: Int64 = 0
            for c in children[childStart[n]..<childStart[n + 1]] {
                let ci = Int(c)
                if total[ci] >= minValue && names[Int(name[ci])] != FlameGraph.otherName {
                    stack.append(Item(node: c, x: x, depth: item.depth + 1, otherTotal: 0))
                    x &+= total[ci]
                } else {
                    otherTotal &+= total[ci]
                }
            }
            if otherTotal != 0 {
                stack.append(Item(node: -1, x: x, depth: item.depth + 1, otherTotal: otherTotal))
            }
        }
        return out.finish(total: total[0])
    }

    /// The merged name tree as it stands: node 0 the root, parents before children.
    public func tree() -> FlameTree {
        var total = selfValue
        for n in stride(from: parent.count - 1, to: 0, by: -1) { total[Int(parent[n])] &+= total[n] }
        return FlameTree(names: name.map { names[Int($0)] }, parent: parent, selfValue: selfValue, total: total)
    }

    /// Lays out a diff (shared/reference/pyroscope-api.md §2.11): the union
    /// of both sides' trees, each node `[left x, left total, left self, right
    /// x, right total, right self, name]`, children in ascending name order,
    /// the `max_nodes` rule applied to left + right totals, x delta-encoded
    /// per side.
    public func renderDiff(maxNodes: Int64) -> FlameGraphDiff {
        let count = parent.count
        let rightSelf = self.rightSelf + [Int64](repeating: 0, count: count - self.rightSelf.count)
        var left = selfValue
        var right = rightSelf
        for n in stride(from: count - 1, to: 0, by: -1) {
            left[Int(parent[n])] &+= left[n]
            right[Int(parent[n])] &+= right[n]
        }
        let (childStart, children) = sortedChildren()
        var minValue: Int64 = 0
        if Int64(count - 1) > maxNodes {
            var both = (1..<count).map { left[$0] &+ right[$0] }
            both.sort(by: >)
            minValue = both[Int(maxNodes) - 1]
        }
        var outNames: [String] = []
        var nameIndex: [String: Int64] = [:]
        func index(_ text: String) -> Int64 {
            if let i = nameIndex[text] { return i }
            nameIndex[text] = Int64(outNames.count)
            outNames.append(text)
            return Int64(outNames.count - 1)
        }
        var levels: [[Int64]] = []
        var maxSelf: Int64 = 0
        func emit(_ depth: Int, _ node: [Int64]) {
            if depth == levels.count { levels.append([]) }
            levels[depth] += node
            maxSelf = max(maxSelf, node[2], node[5])
        }
        struct Item {
            var node: Int32
            var xl: Int64
            var xr: Int64
            var depth: Int
            var otherLeft: Int64
            var otherRight: Int64
        }
        var stack = [Item(node: 0, xl: 0, xr: 0, depth: 0, otherLeft: 0, otherRight: 0)]
        while let item = stack.popLast() {
            if item.node < 0 {
                emit(item.depth, [item.xl, item.otherLeft, item.otherLeft, item.xr, item.otherRight, item.otherRight, index(FlameGraph.otherName)])
                continue
            }
            let n = Int(item.node)
            emit(item.depth, [item.xl, left[n], selfValue[n], item.xr, right[n], rightSelf[n], index(names[Int(name[n])])])
            var xl = item.xl &+ selfValue[n]
            var xr = item.xr &+ rightSelf[n]
            var otherLeft: Int64 = 0
            var otherRight: Int64 = 0
            for c in children[childStart[n]..<childStart[n + 1]] {
                let ci = Int(c)
                if left[ci] &+ right[ci] >= minValue && names[Int(name[ci])] != FlameGraph.otherName {
                    stack.append(Item(node: c, xl: xl, xr: xr, depth: item.depth + 1, otherLeft: 0, otherRight: 0))
                    xl &+= left[ci]
                    xr &+= right[ci]
                } else {
                    otherLeft &+= left[ci]
                    otherRight &+= right[ci]
                }
            }
            if otherLeft != 0 || otherRight != 0 {
                stack.append(Item(node: -1, xl: xl, xr: xr, depth: item.depth + 1, otherLeft: otherLeft, otherRight: otherRight))
            }
        }
        // Levels were filled right to left: reverse, then delta-encode both x columns.
        let encoded = levels.map { level -> [Int64] in
            let n = level.count / 7
            var l = [Int64](repeating: 0, count: level.count)
            var endLeft: Int64 = 0
            var endRight: Int64 = 0
            for i in 0..<n {
                let src = (n - 1 - i) * 7
                for k in 0..<7 { l[i * 7 + k] = level[src + k] }
                l[i * 7] = level[src] &- endLeft
                l[i * 7 + 3] = level[src + 3] &- endRight
                endLeft = level[src] &+ level[src + 1]
                endRight = level[src + 3] &+ level[src + 4]
            }
            return l
        }
        return FlameGraphDiff(
            names: outNames, levels: encoded, total: left[0] &+ right[0], maxSelf: maxSelf, leftTicks: left[0], rightTicks: right[0])
    }

    /// Collects levels and the names in first-visit order.
    private struct Output {
        let treeNames: [String]
        var names: [String] = []
        var nameIndexOfTree: [Int32: Int64] = [:]
        var nameIndexOfText: [String: Int64] = [:]
        var levels: [[Int64]] = []
        var maxSelf: Int64 = 0

        init(names: [String]) { treeNames = names }

        mutating func nameIndex(_ treeName: Int32) -> Int64 {
            if let i = nameIndexOfTree[treeName] { return i }
            let i = nameIndex(treeNames[Int(treeName)])
            nameIndexOfTree[treeName] = i
            return i
        }

        mutating func nameIndex(_ text: String) -> Int64 {
            if let i = nameIndexOfText[text] { return i }
            let i = Int64(names.count)
            names.append(text)
            nameIndexOfText[text] = i
            return i
        }

        mutating func emit(depth: Int, x: Int64, total: Int64, self s: Int64, name: Int64) {
            if depth == levels.count { levels.append([]) }
            levels[depth].append(contentsOf: [x, total, s, name])
            maxSelf = max(maxSelf, s)
        }

        func finish(total: Int64) -> FlameGraph {
            var encoded: [[Int64]] = []
            encoded.reserveCapacity(levels.count)
            for level in levels {
                // Reverse node order (filled right to left), then delta-encode x.
                var l = [Int64](repeating: 0, count: level.count)
                let n = level.count / 4
                var prevEnd: Int64 = 0
                for i in 0..<n {
                    let src = (n - 1 - i) * 4
                    let x = level[src]
                    l[i * 4] = x &- prevEnd
                    l[i * 4 + 1] = level[src + 1]
                    l[i * 4 + 2] = level[src + 2]
                    l[i * 4 + 3] = level[src + 3]
                    prevEnd = x &+ level[src + 1]
                }
                encoded.append(l)
            }
            return FlameGraph(names: names, levels: encoded, total: total, maxSelf: maxSelf)
        }
    }
}
