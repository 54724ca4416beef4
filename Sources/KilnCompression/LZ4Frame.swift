import CLZ4

/// LZ4's frame format (magic `04 22 4D 18`, its own block headers and
/// checksums), as Arrow IPC's `LZ4_FRAME` body compression uses it; Kiln's
/// own blocks use raw LZ4 blocks (`LZ4`).
public enum LZ4Frame {
    /// Decompresses one or more concatenated frames that must inflate to exactly `decompressedSize` bytes.
    /// - Throws: `CompressionError` when the input is malformed, ends inside a frame, or inflates to another size.
    public static func decompress(_ input: [UInt8], decompressedSize: Int) throws -> [UInt8] {
        guard decompressedSize >= 0 else { throw CompressionError(.lz4, "declared size \(decompressedSize) is out of range") }
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
            throw CompressionError(.lz4, "cannot create a frame decompression context")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        var output = [UInt8](repeating: 0, count: decompressedSize)
        var read = 0
        var written = 0
        var hint = 1
        try input.withUnsafeBytes { src in
            try output.withUnsafeMutableBytes { dst in
                while read < src.count {
                    var srcSize = src.count - read
                    var dstSize = dst.count - written
                    let r = LZ4F_decompress(context, dst.baseAddress.map { $0 + written }, &dstSize, src.baseAddress! + read, &srcSize, nil)
                    if LZ4F_isError(r) != 0 {
                        throw CompressionError(.lz4, "malformed frame at input offset \(read): \(String(cString: LZ4F_getErrorName(r)))")
                    }
                    read += srcSize
                    written += dstSize
                    hint = r
                    if srcSize == 0 && dstSize == 0 {
                        throw CompressionError(.lz4, "frame inflates past the declared \(decompressedSize) bytes")
                    }
                }
            }
        }
        guard hint == 0 else { throw CompressionError(.lz4, "input ends inside a frame after \(read) bytes") }
        guard written == decompressedSize else {
            throw CompressionError(.lz4, "frame inflated to \(written) bytes, expected \(decompressedSize)")
        }
        return output
    }
}
