import KilnPprof

/// The dynamic labels pyroscope-java sends beside a JFR recording (the
/// multipart `labels` field): protobuf `LabelsSnapshot { map<int64, Context>
/// contexts = 1; map<int64, string> strings = 2; }` with `Context {
/// map<int64, int64> labels = 1; }`, label keys and values as indexes into
/// `strings` (shared/reference/pyroscope-api.md §3.3). A JFR event's
/// `contextId` picks its context.
///
/// Decoded by hand with the pprof decoder's `WireReader`: two maps do not
/// warrant generated code in this pure module.
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

    /// - Throws: `PprofError` naming the byte where the message is malformed.
    init(protobuf bytes: [UInt8]) throws(PprofError) {
        let result: Result<Self, PprofError> = bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return .success(Self()) }
            do throws(PprofError) { return .success(try Self(WireReader(base: base, range: 0..<buf.count))) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    private init(_ message: WireReader) throws(PprofError) {
        var r = message
        while !r.atEnd {
            let (field, wire) = try r.tag()
            switch (field, wire) {
            case (1, .lengthDelimited):
                var entry = r.sub(try r.lengthDelimited())
                var key: Int64 = 0
                var labels: [(key: Int64, value: Int64)] = []
                while !entry.atEnd {
                    let (f, w) = try entry.tag()
                    switch (f, w) {
                    case (1, .varint): key = try entry.int64()
                    case (2, .lengthDelimited):
                        var context = entry.sub(try entry.lengthDelimited())
                        while !context.atEnd {
                            let (cf, cw) = try context.tag()
                            guard cf == 1, cw == .lengthDelimited else {
                                try context.skip(cw, field: cf)
                                continue
                            }
                            labels.append(try Self.intPair(context.sub(try context.lengthDelimited())))
                        }
                    default: try entry.skip(w, field: f)
                    }
                }
                contexts[key] = labels
            case (2, .lengthDelimited):
                var entry = r.sub(try r.lengthDelimited())
                var key: Int64 = 0
                var value = ""
                while !entry.atEnd {
                    let (f, w) = try entry.tag()
                    switch (f, w) {
                    case (1, .varint): key = try entry.int64()
                    case (2, .lengthDelimited):
                        let at = entry.pos
                        let range = try entry.lengthDelimited()
                        let raw = UnsafeBufferPointer(start: entry.base + range.lowerBound, count: range.count)
                        guard let s = String(validating: raw, as: UTF8.self) else { throw PprofError(offset: at, "a label string is not UTF-8") }
                        value = s
                    default: try entry.skip(w, field: f)
                    }
                }
                strings[key] = value
            default: try r.skip(wire, field: field)
            }
        }
    }

    /// A `map<int64, int64>` entry: key 1, value 2.
    private static func intPair(_ entry: WireReader) throws(PprofError) -> (Int64, Int64) {
        var r = entry
        var k: Int64 = 0
        var v: Int64 = 0
        while !r.atEnd {
            let (f, w) = try r.tag()
            switch (f, w) {
            case (1, .varint): k = try r.int64()
            case (2, .varint): v = try r.int64()
            default: try r.skip(w, field: f)
            }
        }
        return (k, v)
    }
}
