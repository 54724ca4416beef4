/// Trace span ids as profiles carry them: the pprof sample label `span_id`
/// holds 16 hex digits; Kiln keeps the 8 bytes they spell read as a
/// little-endian `UInt64`, as Pyroscope does (shared/reference/pyroscope-api.md
/// §2.7), so that span ids and the `span_selector` of a query compare as
/// integers. 0 means "no span".
public enum SpanID {
    /// Digits in a span id: 8 bytes, 2 hex digits each.
    public static let hexDigits = 16

    /// The span id `text` spells, or nil when it is not exactly 16 hex
    /// digits or is all zeros (which would read as "no span").
    public static func parse(_ text: some StringProtocol) -> UInt64? {
        let utf8 = text.utf8
        guard utf8.count == hexDigits else { return nil }
        var value: UInt64 = 0
        var byte = 0
        var high: UInt8 = 0
        for (i, c) in utf8.enumerated() {
            guard let nibble = hexValue(c) else { return nil }
            if i % 2 == 0 {
                high = nibble
            } else {
                value |= UInt64(high << 4 | nibble) << (8 * byte)
                byte += 1
            }
        }
        return value == 0 ? nil : value
    }

    /// The 16 lowercase hex digits of `id` (the inverse of `parse`).
    public static func format(_ id: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(hexDigits)
        for byte in 0..<8 {
            let b = UInt8(truncatingIfNeeded: id >> (8 * byte))
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
