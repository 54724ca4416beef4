extension StackTotals {
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
}
