import KilnModel
import KilnPprof

/// Content hashes of a profile's sample stacks: the identity under which a
/// cumulative profile's stacks are matched to the previous profile of the
/// same series (`CumulativeBaselines`), independent of the pprof's location
/// ids and of the head's stack ids, which both change from push to push.
///
/// A location hashes its address and, for each line, its function's name and
/// line number; a stack hashes its locations' hashes, leaf first. FNV-1a 64:
/// two different stacks of one series collide with probability ~n²/2⁶⁵ (n
/// stacks), negligible for the thousands a Go heap profile holds. The value
/// is persisted in the WAL (`CumulativeRecord`): it must never change.
public enum StackKeys {
    static let offsetBasis = Fingerprint.offsetBasis
    static let prime = Fingerprint.prime

    /// The key of every sample of `p`.
    /// - Complexity: O(bytes of the function names used + total stack depth).
    public static func of(_ p: Profile) -> [UInt64] {
        var locationKeys = [UInt64](repeating: 0, count: p.locations.count)
        var hashed = [Bool](repeating: false, count: p.locations.count)
        var out: [UInt64] = []
        out.reserveCapacity(p.sampleCount)
        for i in 0..<p.sampleCount {
            var h = offsetBasis
            for l in p.locations(ofSample: i) {
                let li = Int(l)
                if !hashed[li] {
                    locationKeys[li] = locationKey(p, li)
                    hashed[li] = true
                }
                mix64(&h, locationKeys[li])
            }
            out.append(h)
        }
        return out
    }

    private static func locationKey(_ p: Profile, _ i: Int) -> UInt64 {
        var h = offsetBasis
        mix64(&h, p.locations[i].address)
        for line in p.lines(ofLocation: i) {
            for b in p.strings.utf8(Int(p.functions[Int(line.functionIndex)].name)) { mix(&h, b) }
            mix(&h, 0xFF)
            mix64(&h, UInt64(bitPattern: line.line))
        }
        return h
    }

    @inline(__always)
    private static func mix(_ h: inout UInt64, _ b: UInt8) { h = (h ^ UInt64(b)) &* prime }

    @inline(__always)
    private static func mix64(_ h: inout UInt64, _ v: UInt64) {
        var v = v
        for _ in 0..<8 {
            mix(&h, UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }
}
