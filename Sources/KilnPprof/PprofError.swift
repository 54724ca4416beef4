/// Why a pprof payload was rejected, and where.
///
/// `offset` is the byte offset in the decompressed protobuf where the problem
/// was found (nil for whole-profile checks such as a dangling reference).
public struct PprofError: Error, Equatable, Sendable, CustomStringConvertible {
    public let offset: Int?
    public let reason: String
    /// The payload exceeds the caller's size limit (not malformed as such).
    public let tooLarge: Bool

    public init(offset: Int?, _ reason: String, tooLarge: Bool = false) {
        self.offset = offset
        self.reason = reason
        self.tooLarge = tooLarge
    }

    public var description: String {
        if let offset { return "malformed pprof at byte \(offset): \(reason)" }
        return "malformed pprof: \(reason)"
    }
}
