/// Why an OTLP request was refused: the field (a path such as
/// `resource_profiles[0].scope_profiles[0].profiles[1].samples[7].stack_index`)
/// and what is wrong with it. Answered as 400 / `INVALID_ARGUMENT`.
public struct OTLPError: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    public let reason: String

    public init(field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}
