/// Per-stack sums over dense stack ids: the aggregation kernel of flame-graph
/// queries.
///
/// Invariant: `values.count` equals the number of stack-tree nodes the totals
/// were sized for; every id added is below it.
public struct StackTotals: Sendable {
    public internal(set) var values: [Int64]

    public init(stackCount: Int) {
        values = [Int64](repeating: 0, count: stackCount)
    }

    /// Totals already summed (an ingester's extract).
    public init(values: [Int64]) { self.values = values }

    /// Adds `values[i]` to the total of `stacks[i]` for every `i`.
    /// - Precondition: `stacks.count == values.count`, every id < `self.values.count`.
    /// - Complexity: O(n), a bounds-check-free loop.
    public mutating func add(stacks: ArraySlice<UInt32>, values v: ArraySlice<Int64>) {
        precondition(stacks.count == v.count)
        let n = stacks.count
        let limit = values.count
        stacks.withUnsafeBufferPointer { s in
            v.withUnsafeBufferPointer { vals in
                values.withUnsafeMutableBufferPointer { totals in
                    for i in 0..<n {
                        let id = Int(s[i])
                        precondition(id < limit, "stack id out of range")
                        totals[id] &+= vals[i]
                    }
                }
            }
        }
    }

    /// `add(stacks:values:)` for a block's decoded columns (64-bit patterns).
    /// - Precondition: every id < `self.values.count` (the block reader checks ids against its symbols).
    /// - Complexity: O(n): one load of each column and one scattered add per sample, no bounds checks
    ///   beyond the id's.
    public mutating func add(stacks: ArraySlice<UInt64>, values v: ArraySlice<UInt64>) {
        precondition(stacks.count == v.count)
        let n = stacks.count
        let limit = UInt64(values.count)
        stacks.withUnsafeBufferPointer { s in
            v.withUnsafeBufferPointer { x in
                values.withUnsafeMutableBufferPointer { totals in
                    for i in 0..<n {
                        let id = s[i]
                        precondition(id < limit, "stack id out of range")
                        totals[Int(truncatingIfNeeded: id)] &+= Int64(bitPattern: x[i])
                    }
                }
            }
        }
    }

    /// Adds `other`'s totals, id by id (partial sums of one source).
    /// - Precondition: both were sized for the same source.
    public mutating func add(_ other: StackTotals) {
        precondition(other.values.count == values.count)
        other.values.withUnsafeBufferPointer { o in
            values.withUnsafeMutableBufferPointer { t in
                for i in 0..<t.count { t[i] &+= o[i] }
            }
        }
    }
}
