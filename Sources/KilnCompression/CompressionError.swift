/// A failure to compress or decompress, naming the codec and why.
///
/// Decompression errors are the caller's input problem (corrupt or hostile
/// bytes, or a size over the caller's bound); compression errors mean a broken
/// library or an impossible request, and are not expected in practice.
public struct CompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Codec: String, Sendable { case gzip, lz4, zstd }

    public let codec: Codec
    public let reason: String
    /// The input is well-formed so far but inflates past the caller's bound:
    /// a size problem (HTTP 413), not corruption (400).
    public let exceedsOutputLimit: Bool

    public init(_ codec: Codec, _ reason: String, exceedsOutputLimit: Bool = false) {
        self.codec = codec
        self.reason = reason
        self.exceedsOutputLimit = exceedsOutputLimit
    }

    public var description: String { "\(codec.rawValue): \(reason)" }
}
