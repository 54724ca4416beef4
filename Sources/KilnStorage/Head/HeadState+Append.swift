import KilnIngest
import KilnModel
import KilnPprof

extension HeadState {
    /// Appends a normalised profile: its symbols are interned once, then each
    /// target series receives the samples of its sample type, merged by stack
    /// with zero values dropped. A profile with no non-zero sample for a type
    /// still creates the series (so its labels are discoverable) but stores no
    /// profile for it.
    ///
    /// - Complexity: O(samples × (stack depth + series)), one hash lookup per stack frame.
    public mutating func append(_ ingest: IngestProfile) {
        let p = ingest.profile
        let sampleStacks = symbols.internStacks(of: p)
        let nTypes = p.sampleTypes.count
        var slot: [UInt32: Int] = [:]
        for target in ingest.series {
            let ref = seriesRef(labels: target.labels, profileType: target.profileType)
            slot.removeAll(keepingCapacity: true)
            var stacks: [UInt32] = []
            var values: [Int64] = []
            for i in 0..<p.sampleCount {
                let v = p.sampleValues[i * nTypes + target.sampleType]
                guard v != 0 else { continue }
                let s = sampleStacks[i]
                if let at = slot[s] {
                    values[at] &+= v
                } else {
                    slot[s] = stacks.count
                    stacks.append(s)
                    values.append(v)
                }
            }
            // Merging can cancel values out (negative samples): drop those too.
            if values.contains(0) {
                let keep = values.indices.filter { values[$0] != 0 }
                stacks = keep.map { stacks[$0] }
                values = keep.map { values[$0] }
            }
            guard !stacks.isEmpty else { continue }
            appendProfile(series: ref, timeNanos: ingest.timeNanos, durationNanos: ingest.durationNanos, stacks: stacks, values: values)
        }
    }
}
