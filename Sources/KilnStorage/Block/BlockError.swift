/// A block that cannot be read as written: which file, where, and why.
/// Queries skip such a block with a warning and `kiln_block_corruptions_total`.
public struct BlockError: Error, Sendable, CustomStringConvertible {
    public let path: String
    /// Byte offset in `path`, when the problem has one.
    public let offset: Int?
    public let reason: String

    public init(path: String, offset: Int?, reason: String) {
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "corrupt block file \(path)" + (offset.map { " at byte \($0)" } ?? "") + ": \(reason)" }
}
