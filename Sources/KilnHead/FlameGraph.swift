/// A flame graph in Pyroscope's wire layout (shared/reference/pyroscope-api.md §2.6).
///
/// `levels[d]` holds four numbers per node at depth `d`:
/// `[x offset, total, self, name index]`, nodes in ascending x. The offset is
/// delta-encoded: the gap from the end of the previous node on the same level
/// (the first node's offset is from 0). Level 0 is the single root, named
/// `names[0] == "total"`.
public struct FlameGraph: Sendable, Equatable {
    public var names: [String]
    public var levels: [[Int64]]
    public var total: Int64
    public var maxSelf: Int64

    public init(names: [String], levels: [[Int64]], total: Int64, maxSelf: Int64) {
        self.names = names
        self.levels = levels
        self.total = total
        self.maxSelf = maxSelf
    }

    /// The flame graph of no data: a root of total 0.
    public static let empty = FlameGraph(names: ["total"], levels: [[0, 0, 0, 0]], total: 0, maxSelf: 0)

    /// Default `max_nodes` when a request leaves it unset or 0: 8192, Pyroscope's
    /// `-querier.max-flamegraph-nodes-default`.
    public static let defaultMaxNodes: Int64 = 8192
    /// Largest `max_nodes` accepted: 1 << 20, Pyroscope's `-querier.max-flamegraph-nodes-max`.
    public static let maxMaxNodes: Int64 = 1 << 20
    /// Name of the synthetic node that sums the children cut by `max_nodes`.
    public static let otherName = "other"
}

/// A diff flame graph (`FlameGraphDiff`): seven numbers per node, `[left x
/// delta, left total, left self, right x delta, right total, right self, name]`.
public struct FlameGraphDiff: Sendable, Equatable {
    public var names: [String]
    public var levels: [[Int64]]
    /// Left + right.
    public var total: Int64
    public var maxSelf: Int64
    public var leftTicks: Int64
    public var rightTicks: Int64
}

/// A merged flame graph as a tree (Parca's Arrow flame graph is one row per
/// node): node 0 is the root, every node's parent comes before it, siblings
/// are merged by function name.
public struct FlameTree: Sendable, Equatable {
    /// Each node's function name ("total" for the root).
    public var names: [String]
    public var parent: [Int32]
    public var selfValue: [Int64]
    /// Self plus every descendant's self.
    public var total: [Int64]
}
