/// Why a JFR recording could not be read, and where: `offset` is the byte
/// of the (decompressed) recording at which reading failed.
public struct JFRError: Error, Equatable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "JFR at byte \(offset): \(reason)" }
}
