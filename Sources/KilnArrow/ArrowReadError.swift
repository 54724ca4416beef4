/// Why an Arrow IPC stream cannot be read: the byte offset in the stream and the reason.
public struct ArrowReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public init(offset: Int, _ reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "Arrow IPC stream at offset \(offset): \(reason)" }
}
