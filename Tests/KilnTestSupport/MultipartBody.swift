/// Builds `multipart/form-data` bodies as Go's mime/multipart writer does.
public enum MultipartBody {
    public static let boundary = "kilnboundary"

    /// - Returns: the Content-Type header value and the body.
    public static func make(_ parts: [(name: String, filename: String?, body: [UInt8])]) -> (String, [UInt8]) {
        var out: [UInt8] = []
        for part in parts {
            var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
            if let f = part.filename { head += "; filename=\"\(f)\"" }
            head += "\r\nContent-Type: application/octet-stream\r\n\r\n"
            out += Array(head.utf8) + part.body + Array("\r\n".utf8)
        }
        out += Array("--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", out)
    }
}
