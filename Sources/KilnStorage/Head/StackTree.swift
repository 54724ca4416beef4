/// Stack traces of a tenant as a prefix tree of locations, with dense ids.
///
/// Node 0 is the root (no location). Every other node is (parent, location);
/// a stack trace is identified by the id of its leaf node. Invariants: a
/// node's parent id is smaller than its own id (nodes are only ever added
/// below existing ones), so iterating ids in ascending order visits parents
/// before children; ids are dense `0..<count`, so per-stack aggregation is an
/// array indexed by stack id (`totals[stackID] += value`), not a hash map.
public struct StackTree: Sendable {
    public static let root: UInt32 = 0
    /// Location of the root node, which has none.
    public static let noLocation = UInt32.max

    public private(set) var parents: [UInt32] = [0]
    public private(set) var locations: [UInt32] = [StackTree.noLocation]
    /// hash(parent, location) → node id, confirmed against `parents`/`locations`.
    private var index = HashIndex()

    public init() {}

    public var count: Int { parents.count }

    /// The node for `location` under `parent`, created when new.
    /// - Complexity: O(1) amortised (one hash lookup).
    public mutating func child(of parent: UInt32, location: UInt32) -> UInt32 {
        let hash = ContentHash.mix(UInt64(parent), UInt64(location))
        if let id = index.find(hash, { parents[Int($0)] == parent && locations[Int($0)] == location }) { return id }
        let id = UInt32(parents.count)
        parents.append(parent)
        locations.append(location)
        index.insert(hash, id)
        return id
    }

    /// The locations of stack `id`, leaf first.
    public func stack(_ id: UInt32) -> [UInt32] {
        var out: [UInt32] = []
        var n = id
        while n != StackTree.root {
            out.append(locations[Int(n)])
            n = parents[Int(n)]
        }
        return out
    }
}
