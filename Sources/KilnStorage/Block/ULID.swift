import Glibc

/// A ULID (github.com/ulid/spec): 48-bit millisecond time and 80 random bits,
/// as 26 Crockford base-32 characters. Sorts by creation time, as block
/// directories do in Prometheus, Thanos and Pyroscope.
public struct ULID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let string: String

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    public init(milliseconds: UInt64, random: (UInt64, UInt16)) {
        // 128 bits as (high, low): time (48) | random (80). Character i holds
        // bits [5·(25−i), 5·(25−i)+5); the first has only 3 real bits.
        let high = milliseconds << 16 | UInt64(random.1)
        let low = random.0
        let chars = (0..<26).map { i -> UInt8 in
            let b = 5 * (25 - i)
            let v: UInt64 =
                if b >= 64 {
                    high >> UInt64(b - 64)
                } else if b + 5 <= 64 {
                    low >> UInt64(b)
                } else {
                    low >> UInt64(b) | high << UInt64(64 - b)
                }
            return Self.alphabet[Int(v & 31)]
        }
        string = String(decoding: chars, as: UTF8.self)
    }

    /// A new ULID for now, from the system's random source.
    public static func make(milliseconds: UInt64) -> ULID {
        var g = SystemRandomNumberGenerator()
        return ULID(milliseconds: milliseconds, random: (g.next(), UInt16.random(in: 0...UInt16.max, using: &g)))
    }

    /// Parses a canonical ULID string (26 characters of the alphabet).
    public init?(_ s: String) {
        guard s.utf8.count == 26, s.utf8.allSatisfy({ Self.alphabet.contains($0) }), s.utf8.first! <= UInt8(ascii: "7") else { return nil }
        string = s
    }

    /// The creation time in milliseconds.
    public var milliseconds: UInt64 {
        var v: UInt64 = 0
        for c in string.utf8.prefix(10) { v = v << 5 | UInt64(Self.alphabet.firstIndex(of: c)!) }
        return v
    }

    public static func < (a: ULID, b: ULID) -> Bool { a.string < b.string }
    public var description: String { string }
}
