/// A failure to compress or decompress, naming the codec and why.
///
/// Decompression errors are the caller's input problem (corrupt or hostile
/// bytes, or a size over the caller's bound); compression errors mean a broken
/// library or an impossible request, and are not expected in practice.
public struct CompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Codec: String, Sendable { case gzip, lz4, zstd }

    public let codec: Codec
    public let reason: String

    public init(_ codec: Codec, _ reason: String) {
        self.codec = codec
        self.reason = reason
    }

    public var description: String { "\(codec.rawValue): \(reason)" }
}
