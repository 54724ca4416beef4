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
    /// hash(whole path) → node id of every stack looked up by `node(path:)`,
    /// confirmed by walking the path up from the candidate. Agents send the
    /// same stacks again and again, so this turns one hash probe per frame
    /// (a cache miss each, ~20 per sample) into one per sample. Derived data:
    /// replay does not fill it; the first lookup of each stack after a restart does.
    private var pathIndex = HashIndex()

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

    /// The node whose path from the root is `path` (locations, root first),
    /// creating the nodes that are new.
    /// - Complexity: O(path.count): one hash probe and a walk up the tree when
    ///   the stack was seen before, one probe per frame when not.
    public mutating func node(path: UnsafeBufferPointer<UInt32>) -> UInt32 {
        var hash = UInt64(path.count)
        for location in path { hash = ContentHash.step(hash, UInt64(location)) }
        hash = ContentHash.mix(hash, 0)
        let found = pathIndex.find(hash) { candidate in
            var node = candidate
            for location in path.reversed() {
                guard node != StackTree.root, locations[Int(node)] == location else { return false }
                node = parents[Int(node)]
            }
            return node == StackTree.root
        }
        if let found { return found }
        var node = StackTree.root
        for location in path { node = child(of: node, location: location) }
        pathIndex.insert(hash, node)
        return node
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
