/// The dynamic labels pyroscope-java sends beside a JFR recording (the
/// multipart `labels` field): protobuf `LabelsSnapshot { map<int64, Context>
/// contexts = 1; map<int64, string> strings = 2; }` with `Context {
/// map<int64, int64> labels = 1; }`, label keys and values as indexes into
/// `strings` (shared/reference/pyroscope-api.md §3.3). A JFR event's
/// `contextId` picks its context.
///
/// Decoded by hand: two maps do not warrant generated code in this pure
/// module, whose pprof decoder is hand-written too.
struct JFRLabelsSnapshot: Equatable {
    /// Context id → labels (key string id → value string id).
    var contexts: [Int64: [(key: Int64, value: Int64)]] = [:]
    var strings: [Int64: String] = [:]

    static func == (a: Self, b: Self) -> Bool {
        a.strings == b.strings && a.contexts.count == b.contexts.count
            && a.contexts.allSatisfy { k, v in b.contexts[k].map { $0.elementsEqual(v) { $0 == $1 } } ?? false }
    }

    init() {}

    /// The labels of context `id`, resolved and sorted by name; empty for 0 or an unknown id.
    func labels(_ id: Int64) -> [(key: String, value: String)] {
        guard id != 0, let pairs = contexts[id] else { return [] }
        return pairs.compactMap { p in
            guard let k = strings[p.key], let v = strings[p.value] else { return nil }
            return (k, v)
        }.sorted { $0.key < $1.key }
    }

    /// - Throws: `ProtobufError` naming the byte where the message is malformed.
    init(protobuf bytes: [UInt8]) throws(ProtobufError) {
        var r = ProtobufReader(bytes[...])
        while let (field, wire) = try r.tag() {
            switch (field, wire) {
            case (1, 2):
                var entry = ProtobufReader(try r.lengthDelimited())
                var key: Int64 = 0
                var labels: [(key: Int64, value: Int64)] = []
                while let (f, w) = try entry.tag() {
                    switch (f, w) {
                    case (1, 0): key = Int64(bitPattern: try entry.varint())
                    case (2, 2):
                        var context = ProtobufReader(try entry.lengthDelimited())
                        while let (cf, cw) = try context.tag() {
                            guard cf == 1, cw == 2 else {
                                try context.skip(cw)
                                continue
                            }
                            let (k, v) = try Self.intPair(try context.lengthDelimited())
                            labels.append((k, v))
                        }
                    default: try entry.skip(w)
                    }
                }
                contexts[key] = labels
            case (2, 2):
                var entry = ProtobufReader(try r.lengthDelimited())
                var key: Int64 = 0
                var value = ""
                while let (f, w) = try entry.tag() {
                    switch (f, w) {
                    case (1, 0): key = Int64(bitPattern: try entry.varint())
                    case (2, 2):
                        let raw = try entry.lengthDelimited()
                        guard let s = String(validating: raw, as: UTF8.self) else { throw entry.error("a label string is not UTF-8") }
                        value = s
                    default: try entry.skip(w)
                    }
                }
                strings[key] = value
            default: try r.skip(wire)
            }
        }
    }

    private static func intPair(_ bytes: ArraySlice<UInt8>) throws(ProtobufError) -> (Int64, Int64) {
        var r = ProtobufReader(bytes)
        var k: Int64 = 0
        var v: Int64 = 0
        while let (f, w) = try r.tag() {
            switch (f, w) {
            case (1, 0): k = Int64(bitPattern: try r.varint())
            case (2, 0): v = Int64(bitPattern: try r.varint())
            default: try r.skip(w)
            }
        }
        return (k, v)
    }
}

struct ProtobufError: Error, CustomStringConvertible {
    var offset: Int
    var reason: String
    var description: String { "at byte \(offset): \(reason)" }
}

/// Protobuf wire format over a slice whose indices are offsets into the message.
struct ProtobufReader {
    private var bytes: ArraySlice<UInt8>
    private var at: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        at = bytes.startIndex
    }

    func error(_ reason: String) -> ProtobufError { ProtobufError(offset: at, reason: reason) }

    mutating func varint() throws(ProtobufError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard at < bytes.endIndex else { throw error("truncated varint") }
            let b = bytes[at]
            at += 1
            guard shift < 64 else { throw error("varint longer than 10 bytes") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    /// The next field number and wire type; nil at the end.
    mutating func tag() throws(ProtobufError) -> (Int, Int)? {
        guard at < bytes.endIndex else { return nil }
        let t = try varint()
        return (Int(truncatingIfNeeded: t >> 3), Int(t & 7))
    }

    mutating func lengthDelimited() throws(ProtobufError) -> ArraySlice<UInt8> {
        let n = try varint()
        guard n <= UInt64(bytes.endIndex - at) else { throw error("length \(n) runs past the message") }
        defer { at += Int(n) }
        return bytes[at..<(at + Int(n))]
    }

    mutating func skip(_ wire: Int) throws(ProtobufError) {
        switch wire {
        case 0: _ = try varint()
        case 1, 5:
            let n = wire == 1 ? 8 : 4
            guard bytes.endIndex - at >= n else { throw error("truncated fixed-width field") }
            at += n
        case 2: _ = try lengthDelimited()
        default: throw error("unsupported wire type \(wire)")
        }
    }
}
