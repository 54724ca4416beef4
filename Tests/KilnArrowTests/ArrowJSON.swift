import KilnArrow

/// Decoded Arrow rows as canonical JSON, the way tools/make-arrow-goldens.py
/// prints pyarrow's `to_pylist()`: sorted keys, no spaces, binary and UUIDs
/// as hex, timestamps as integers, Python's escapes (`ensure_ascii=False`).
enum ArrowJSON {
    static func row(_ batch: ArrowStreamReader.RecordBatch, _ i: Int, _ stream: ArrowStreamReader.Stream) -> String {
        object(batch.columns.map { ($0.field.name, value($0, i, stream)) })
    }

    static func object(_ members: [(String, String)]) -> String {
        "{" + members.sorted { $0.0 < $1.0 }.map { quoted($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    static func value(_ a: ArrowArray, _ i: Int, _ stream: ArrowStreamReader.Stream) -> String {
        if a.field.dictionary != nil {
            if a.isNull(i) { return "null" }
            return value(stream.dictionary(of: a)!, a.index(i), stream)
        }
        switch a.field.type {
        case .runEndEncoded: return value(a.children[1], a.physicalIndex(i), stream)
        case _ where a.isNull(i): return "null"
        case .null: return "null"
        case .bool: return a.bool(i) ? "true" : "false"
        case .int(let w, let signed): return w == 64 && !signed ? String(a.uint64(i)) : String(a.int(i))
        case .timestamp: return String(a.int(i))
        case .binary, .largeBinary, .binaryView, .fixedSizeBinary: return quoted(a.bytes(i).map { hex($0) }.joined())
        case .utf8, .largeUtf8, .utf8View: return quoted(a.string(i))
        case .list, .largeList, .listView, .largeListView:
            return "[" + a.range(i).map { value(a.children[0], $0, stream) }.joined(separator: ",") + "]"
        case .structure: return object(zip(a.field.children, a.children).map { ($0.name, value($1, i, stream)) })
        }
    }

    static func hex(_ b: UInt8) -> String { String(b >> 4, radix: 16) + String(b & 0xF, radix: 16) }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where c.value < 0x20: out += "\\u00" + hex(UInt8(c.value))
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
