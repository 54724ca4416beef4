/// An error answered to a Connect client: a Connect code and a message.
///
/// Rendered as HTTP status + JSON body `{"code": "…", "message": "…"}`
/// (Connect protocol, unary). The message is shown to users verbatim by
/// Grafana, so it says what was wrong with the request; internal failures
/// carry a generic message and are logged instead.
public struct ConnectError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case canceled, unknown
        case invalidArgument = "invalid_argument"
        case deadlineExceeded = "deadline_exceeded"
        case notFound = "not_found"
        case alreadyExists = "already_exists"
        case permissionDenied = "permission_denied"
        case resourceExhausted = "resource_exhausted"
        case failedPrecondition = "failed_precondition"
        case aborted
        case outOfRange = "out_of_range"
        case unimplemented, `internal`, unavailable
        case dataLoss = "data_loss"
        case unauthenticated

        /// HTTP status for the code, as connect-go maps it.
        public var httpStatus: Int {
            switch self {
            case .canceled, .deadlineExceeded: 408
            case .unknown, .internal, .dataLoss: 500
            case .invalidArgument, .outOfRange: 400
            case .notFound, .unimplemented: 404
            case .alreadyExists, .aborted: 409
            case .permissionDenied: 403
            case .resourceExhausted: 429
            case .failedPrecondition: 412
            case .unavailable: 503
            case .unauthenticated: 401
            }
        }
    }

    public let code: Code
    public let message: String
    /// HTTP status override for transport-level errors (413 for a body over the
    /// limit, 415 for an unknown content type); nil uses the code's status.
    public let status: Int?

    public init(_ code: Code, _ message: String, status: Int? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var httpStatus: Int { status ?? code.httpStatus }
    public var description: String { "\(code.rawValue): \(message)" }

    /// The Connect JSON error body.
    public var jsonBody: [UInt8] {
        Array("{\"code\":\"\(code.rawValue)\",\"message\":\(jsonString(message))}".utf8)
    }
}

/// A JSON string literal for `s` (RFC 8259 escaping).
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
