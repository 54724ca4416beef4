/// A libcurl failure: the operation, curl's code and its message.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int
    public let message: String
    public var description: String { "\(operation): curl error \(code): \(message)" }
}
