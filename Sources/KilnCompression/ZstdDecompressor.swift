import CZstd

/// A zstd decompression context, kept across frames: `ZSTD_decompress`
/// allocates and frees a context (about 100 KiB) on every call, which costs
/// as much as inflating a small page. One per task; not thread-safe.
public final class ZstdDecompressor {
    /// Non-nil: `ZSTD_createDCtx` fails only when out of memory, which traps
    /// anyway at the next allocation.
    private let context: OpaquePointer

    public init() {
        guard let c = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx: out of memory") }
        context = c
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses one frame into `output`, which it must fill exactly.
    /// - Throws: `CompressionError` when the frame is malformed or its size differs.
    public func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        let got = ZSTD_decompressDCtx(context, output.baseAddress, output.count, input.baseAddress, input.count)
        if ZSTD_isError(got) != 0 { throw CompressionError(.zstd, String(cString: ZSTD_getErrorName(got))) }
        guard got == output.count else {
            throw CompressionError(.zstd, "frame inflated to \(got) bytes, expected \(output.count)")
        }
    }
}
