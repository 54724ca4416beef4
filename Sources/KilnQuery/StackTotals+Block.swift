extension StackTotals {
    /// `add(stacks:values:)` for a block's decoded columns (64-bit patterns).
    /// - Precondition: every id < `self.values.count` (the block reader checks ids against its symbols).
    public mutating func add(stacks: ArraySlice<UInt64>, values v: ArraySlice<UInt64>) {
        precondition(stacks.count == v.count)
        let limit = UInt64(values.count)
        values.withUnsafeMutableBufferPointer { totals in
            for (s, x) in zip(stacks, v) {
                precondition(s < limit, "stack id out of range")
                totals[Int(s)] &+= Int64(bitPattern: x)
            }
        }
    }
}
