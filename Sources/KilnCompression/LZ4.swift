import CLZ4

/// LZ4 block compression (no frame): the hot codec for freshly cut blocks.
///
/// The block format stores no length, so the caller keeps the decompressed
/// size beside the compressed bytes (the block page header does).
public enum LZ4 {
    /// Compresses `input` with LZ4's default (fast) mode.
    /// - Complexity: O(n); ≈ 770 MB/s per core here (feasibility.md §1).
    public static func compress(_ input: [UInt8]) throws -> [UInt8] {
        guard input.count <= Int(LZ4_MAX_INPUT_SIZE) else {
            throw CompressionError(.lz4, "input of \(input.count) bytes exceeds LZ4's maximum of \(LZ4_MAX_INPUT_SIZE)")
        }
        let bound = Int(LZ4_compressBound(Int32(input.count)))
        var output = [UInt8](repeating: 0, count: max(bound, 1))
        let written = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                inBuf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: inBuf.count) { src in
                    outBuf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: outBuf.count) { dst in
                        LZ4_compress_default(src, dst, Int32(inBuf.count), Int32(outBuf.count))
                    }
                }
            }
        }
        guard written > 0 || input.isEmpty else { throw CompressionError(.lz4, "compression failed") }
        output.removeSubrange(Int(written)...)
        return output
    }

    /// Decompresses one LZ4 block that must inflate to exactly `decompressedSize` bytes.
    /// - Throws: `CompressionError` when the input is malformed or its size differs.
    public static func decompress(_ input: [UInt8], decompressedSize: Int) throws -> [UInt8] {
        guard decompressedSize >= 0 else { throw CompressionError(.lz4, "declared size \(decompressedSize) is out of range") }
        var output = [UInt8](repeating: 0, count: decompressedSize)
        try input.withUnsafeBytes { src in try output.withUnsafeMutableBytes { dst in try decompress(src, into: dst) } }
        return output
    }

    /// Decompresses one LZ4 block into `output`, which it must fill exactly;
    /// allocates nothing (the query kernels reuse one buffer for every page).
    /// - Throws: `CompressionError` when the input is malformed or its size differs.
    public static func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        guard output.count <= Int(LZ4_MAX_INPUT_SIZE) else {
            throw CompressionError(.lz4, "declared size \(output.count) is out of range")
        }
        if output.isEmpty && input.isEmpty { return }
        guard let src = input.baseAddress, let dst = output.baseAddress else { throw CompressionError(.lz4, "malformed block at input offset 0") }
        let got = LZ4_decompress_safe(
            src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self),
            Int32(input.count), Int32(output.count))
        guard got == Int32(output.count) else {
            throw CompressionError(
                .lz4, got < 0 ? "malformed block at input offset \(-got)" : "block inflated to \(got) bytes, expected \(output.count)")
        }
    }
}
