/// One part of a `multipart/form-data` body (RFC 7578).
public struct MultipartPart: Sendable, Equatable {
    /// The form field name from `Content-Disposition`.
    public var name: String
    /// The file name, present only on file parts.
    public var filename: String?
    public var contentType: String?
    public var body: [UInt8]
}

/// A minimal, strict `multipart/form-data` reader: enough for the uploads of
/// Pyroscope's SDKs (`profile`, `prev_profile`, `sample_type_config`, `jfr`,
/// `labels` parts), with errors that say what is wrong.
public enum Multipart {
    /// The `boundary` parameter of a `multipart/form-data` content type.
    public static func boundary(contentType: String) -> String? {
        for param in contentType.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters().lowercased() == "boundary" else { continue }
            var v = kv[1].trimmingCharacters()
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v.isEmpty ? nil : v
        }
        return nil
    }

    /// Splits `body` into its parts.
    /// - Throws: `IngestError.invalidArgument` for a missing boundary, a part
    ///   without `Content-Disposition`, or a body that ends before its close delimiter.
    /// Longest boundary RFC 2046 §5.1.1 allows: 70 characters.
    public static let maxBoundaryLength = 70

    public static func parse(_ body: [UInt8], boundary: String) throws(IngestError) -> [MultipartPart] {
        guard !boundary.isEmpty, boundary.utf8.count <= maxBoundaryLength else {
            throw IngestError(.invalidArgument, "multipart boundary must be 1 to \(maxBoundaryLength) characters")
        }
        let delimiter = Array("--\(boundary)".utf8)
        let crlf: [UInt8] = [13, 10]
        guard var at = find(delimiter, in: body, from: 0) else {
            throw IngestError(.invalidArgument, "multipart body has no boundary \"\(boundary)\"")
        }
        var parts: [MultipartPart] = []
        let partDelimiter = crlf + delimiter
        while true {
            at += delimiter.count
            if body.count >= at + 2, body[at] == 45, body[at + 1] == 45 { return parts }  // "--": close delimiter
            // Transport padding (spaces/tabs) then CRLF.
            while at < body.count, body[at] == 32 || body[at] == 9 { at += 1 }
            guard body.count >= at + 2, body[at] == 13, body[at + 1] == 10 else {
                throw IngestError(.invalidArgument, "multipart body is malformed at byte \(at): expected CRLF after the boundary")
            }
            at += 2
            guard let headerEnd = find(crlf + crlf, in: body, from: at) else {
                throw IngestError(.invalidArgument, "multipart part at byte \(at) has no end of headers")
            }
            let headers = String(decoding: body[at..<headerEnd], as: UTF8.self)
            guard let next = find(partDelimiter, in: body, from: headerEnd + 4) else {
                throw IngestError(.invalidArgument, "multipart body ends without its closing boundary")
            }
            parts.append(try part(headers: headers, body: Array(body[(headerEnd + 4)..<next]), at: at))
            at = next + 2
        }
    }

    private static func part(headers: String, body: [UInt8], at offset: Int) throws(IngestError) -> MultipartPart {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in headers.split(separator: "\r\n") {
            let kv = line.split(separator: ":", maxSplits: 1)
            guard kv.count == 2 else { continue }
            let key = kv[0].trimmingCharacters().lowercased()
            let value = kv[1].trimmingCharacters()
            if key == "content-type" { contentType = value }
            guard key == "content-disposition" else { continue }
            for param in value.split(separator: ";").dropFirst() {
                let p = param.split(separator: "=", maxSplits: 1)
                guard p.count == 2 else { continue }
                var v = p[1].trimmingCharacters()
                if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                switch p[0].trimmingCharacters().lowercased() {
                case "name": name = v
                case "filename": filename = v
                default: break
                }
            }
        }
        guard let name else {
            throw IngestError(.invalidArgument, "multipart part at byte \(offset) has no Content-Disposition name")
        }
        return MultipartPart(name: name, filename: filename, contentType: contentType, body: body)
    }

    /// First index of `needle` in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

extension Substring {
    func trimmingCharacters() -> String { String(self).trimmingSpaces() }
}
