import KilnPprof

/// A tenant's validation limits on what it pushes, named and defaulted as
/// Pyroscope's (`-validation.*`), checked by every ingest path before
/// anything is stored. A rejection names the limit by its config key.
/// 0 turns a limit off where noted.
public struct IngestLimits: Sendable, Equatable {
    /// `max_label_name_length`: longest label name, in bytes.
    public var maxLabelNameLength = 1024
    /// `max_label_value_length`: longest label value, in bytes.
    public var maxLabelValueLength = 2048
    /// `max_label_names_per_series`: most labels on one series, the reserved ones included.
    public var maxLabelNamesPerSeries = 30
    /// `max_profile_size_bytes`: largest pprof, uncompressed; 0: off. 4 MiB:
    /// a 15 s Go CPU profile is ~30 KB uncompressed, a busy heap profile a few hundred KB.
    public var maxProfileSizeBytes = 4 << 20
    /// `max_profile_stacktrace_samples`: most samples in one profile; 0: off.
    /// 16 000: a 15 s CPU profile at 100 Hz on 10 busy cores holds at most
    /// 15 000 samples, most of them sharing stacks.
    public var maxProfileSamples = 16_000
    /// `max_profile_stacktrace_depth`: deeper stacks are truncated, not
    /// rejected; 0: off. 1 000 frames is deeper than any real call stack
    /// short of runaway recursion.
    public var maxStackDepth = 1000

    public init() {}

    /// Checks the sample count and truncates stacks deeper than
    /// `maxStackDepth` to their `maxStackDepth` frames nearest the root: the
    /// flame graph's top keeps its shape, and a truncated sample's value shows
    /// as self time of its deepest kept frame.
    /// - Complexity: O(total stack depth) when a stack is truncated, O(samples) otherwise.
    public func apply(to p: inout Profile, context: String) throws(IngestError) {
        if maxProfileSamples > 0, p.sampleCount > maxProfileSamples {
            throw IngestError(
                .invalidArgument,
                "\(context.isEmpty ? "" : context + ": ")profile has \(p.sampleCount) samples, more than max_profile_stacktrace_samples (\(maxProfileSamples))"
            )
        }
        guard maxStackDepth > 0 else { return }
        let offsets = p.sampleLocationOffsets
        guard (0..<p.sampleCount).contains(where: { Int(offsets[$0 + 1] - offsets[$0]) > maxStackDepth }) else { return }
        var locations: [UInt32] = []
        var newOffsets: [UInt32] = [0]
        locations.reserveCapacity(p.sampleLocations.count)
        newOffsets.reserveCapacity(offsets.count)
        for i in 0..<p.sampleCount {
            // Leaf first: the root-most frames are the last ones.
            let stack = p.locations(ofSample: i)
            locations += stack.suffix(maxStackDepth)
            newOffsets.append(UInt32(locations.count))
        }
        p.sampleLocations = locations
        p.sampleLocationOffsets = newOffsets
    }
}
