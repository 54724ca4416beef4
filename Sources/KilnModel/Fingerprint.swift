/// Stable 64-bit fingerprints of label sets.
///
/// FNV-1a 64 over `name 0xFF value 0xFF` for each label in sorted order.
/// `0xFF` never occurs in UTF-8, so the separators make the encoding
/// unambiguous. The value is part of Kiln's persisted state (WAL and index
/// later): it must never change for a given label set. Fingerprints can
/// collide; the head resolves collisions by comparing the label sets.
public enum Fingerprint {
    /// FNV-1a 64's offset basis and prime (also `StackKeys`').
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3
    static let separator: UInt8 = 0xff

    /// - Complexity: O(total bytes of names and values).
    public static func of(_ labels: [Label]) -> UInt64 {
        var h = offsetBasis
        @inline(__always) func mix(_ b: UInt8) { h = (h ^ UInt64(b)) &* prime }
        for label in labels {
            for b in label.name.utf8 { mix(b) }
            mix(separator)
            for b in label.value.utf8 { mix(b) }
            mix(separator)
        }
        return h
    }
}
