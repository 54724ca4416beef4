import CZstd

/// Zstandard frames: the cold codec for compacted blocks.
public enum Zstd {
    /// Level 3 is zstd's default: 7.6x on stack text at ≈ 400 MB/s per core
    /// here, against 5.8x at ≈ 450 MB/s for level 1 (feasibility.md §1).
    public static let defaultLevel: Int32 = 3

    /// Compresses `input` into one zstd frame that records its content size.
    public static func compress(_ input: [UInt8], level: Int32 = defaultLevel) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = input.withUnsafeBytes { inBuf in
            output.withUnsafeMutableBytes { outBuf in
                ZSTD_compress(outBuf.baseAddress, outBuf.count, inBuf.baseAddress, inBuf.count, level)
            }
        }
        if ZSTD_isError(written) != 0 { throw CompressionError(.zstd, String(cString: ZSTD_getErrorName(written))) }
        output.removeSubrange(written...)
        return output
    }

    /// Decompresses one frame that must inflate to exactly `decompressedSize` bytes.
    public static func decompress(_ input: [UInt8], decompressedSize: Int) throws -> [UInt8] {
        guard decompressedSize >= 0 else { throw CompressionError(.zstd, "declared size \(decompressedSize) is negative") }
        var output = [UInt8](repeating: 0, count: decompressedSize)
        try input.withUnsafeBytes { src in try output.withUnsafeMutableBytes { dst in try ZstdDecompressor().decompress(src, into: dst) } }
        return output
    }
}
