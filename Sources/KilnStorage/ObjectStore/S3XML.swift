import Foundation

/// The few fields Kiln reads from S3's XML responses, by element name: the
/// responses are flat enough that a scanner for `<Name>text</Name>` does.
enum S3XML {
    /// The text of every `<name>…</name>` element, in order, entities decoded.
    static func values(_ name: String, in xml: String) -> [String] {
        var out: [String] = []
        let open = "<\(name)>"
        let close = "</\(name)>"
        var rest = xml[...]
        while let start = rest.range(of: open) {
            guard let end = rest.range(of: close, range: start.upperBound..<rest.endIndex) else { break }
            out.append(decodeEntities(String(rest[start.upperBound..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
        return out
    }

    static func value(_ name: String, in xml: String) -> String? { values(name, in: xml).first }

    /// The `<Contents>` entries of a ListObjectsV2 answer: key and size.
    static func listedObjects(_ xml: String) -> [ObjectInfo] {
        values("Contents", in: xml).compactMap { entry in
            guard let key = value("Key", in: entry) else { return nil }
            return ObjectInfo(key: key, size: Int(value("Size", in: entry) ?? "") ?? 0)
        }
    }

    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "&", let semi = s[i...].firstIndex(of: ";") {
                let entity = s[s.index(after: i)..<semi]
                let decoded: String? =
                    switch entity {
                    case "amp": "&"
                    case "lt": "<"
                    case "gt": ">"
                    case "quot": "\""
                    case "apos": "'"
                    default:
                        if entity.hasPrefix("#x"), let v = UInt32(entity.dropFirst(2), radix: 16), let u = Unicode.Scalar(v) {
                            String(u)
                        } else if entity.hasPrefix("#"), let v = UInt32(entity.dropFirst()), let u = Unicode.Scalar(v) {
                            String(u)
                        } else {
                            nil
                        }
                    }
                if let decoded {
                    out += decoded
                    i = s.index(after: semi)
                    continue
                }
            }
            out.append(s[i])
            i = s.index(after: i)
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
