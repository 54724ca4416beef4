import CDeflate

/// gzip (RFC 1952) through libdeflate, for pprof payloads and HTTP bodies.
///
/// libdeflate inflates whole buffers, about twice as fast as zlib's streaming
/// `inflate` on the profiles agents send (gunzip was a fifth of ingest CPU
/// with zlib). Its one constraint is that the output buffer must be large
/// enough up front; the gzip trailer's ISIZE field gives the size, and a
/// member that does not fit is retried in a buffer twice as large.
///
/// Invariant: `decompress` never produces more than `maxOutputBytes`; a
/// payload that would inflate past it is rejected, so a small hostile body
/// (a "zip bomb") cannot exhaust memory.
public enum Gzip {
    /// The first two bytes of every gzip member (RFC 1952 §2.3.1).
    public static let magic: (UInt8, UInt8) = (0x1f, 0x8b)

    /// DEFLATE's largest possible expansion, about 1032:1 (a 258-byte match
    /// coded in 2 bits): no honest member inflates to more than this times its
    /// size, so a larger ISIZE claim is not believed when sizing the buffer.
    static let maxExpansion = 1032

    /// The smallest output buffer tried: below this, allocation dominates.
    static let minimumBuffer = 1024

    /// Whether `bytes` start with the gzip magic.
    @inlinable
    public static func isGzip(_ bytes: some Collection<UInt8>) -> Bool {
        var it = bytes.makeIterator()
        return it.next() == 0x1f && it.next() == 0x8b
    }

    /// Inflates every gzip member in `input` (concatenated members are one
    /// stream, as gzip(1) treats them).
    ///
    /// - Throws: `CompressionError` for corrupt or truncated input, or output
    ///   larger than `maxOutputBytes` (with `exceedsOutputLimit` set).
    /// - Complexity: O(output). A member whose trailer understates its size is
    ///   inflated again into a doubled buffer, so at most O(log(output)) times.
    public static func decompress(_ input: [UInt8], maxOutputBytes: Int = Int.max) throws -> [UInt8] {
        guard let decompressor = libdeflate_alloc_decompressor() else { throw CompressionError(.gzip, "out of memory") }
        defer { libdeflate_free_decompressor(decompressor) }
        let limit = max(maxOutputBytes, 0)
        // ISIZE, the last member's size mod 2^32, little-endian in the last 4 bytes.
        let claimed = input.count >= 18 ? input.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) } : 0
        let capacity = min(max(min(claimed, input.count.multipliedReportingOverflow(by: maxExpansion).partialValue), minimumBuffer), limit)
        var output: [UInt8] = []
        var consumed = 0
        try input.withUnsafeBufferPointer { inBuf in
            guard !inBuf.isEmpty else { throw CompressionError(.gzip, "unexpected end of input (empty stream)") }
            while consumed < inBuf.count {
                let room = limit - output.count
                var attempt = min(capacity, room)
                while true {
                    var code = LIBDEFLATE_SUCCESS
                    var usedIn = 0
                    let member = [UInt8](unsafeUninitializedCapacity: attempt) { out, count in
                        var usedOut = 0
                        code = libdeflate_gzip_decompress_ex(
                            decompressor, inBuf.baseAddress! + consumed, inBuf.count - consumed,
                            out.baseAddress, out.count, &usedIn, &usedOut)
                        count = code == LIBDEFLATE_SUCCESS ? usedOut : 0
                    }
                    if code == LIBDEFLATE_SUCCESS {
                        if output.isEmpty { output = member } else { output += member }
                        consumed += usedIn
                        break
                    }
                    guard code == LIBDEFLATE_INSUFFICIENT_SPACE else {
                        throw CompressionError(.gzip, "invalid or truncated gzip member at input offset \(consumed)")
                    }
                    guard attempt < room else {
                        throw CompressionError(.gzip, "decompressed size exceeds the limit of \(limit) bytes", exceedsOutputLimit: true)
                    }
                    attempt = min(max(attempt, minimumBuffer).multipliedReportingOverflow(by: 2).partialValue, room)
                }
            }
        }
        return output
    }

    /// Deflates `input` into one gzip member.
    ///
    /// - Parameter level: 0...12; 6 is gzip's default, 1 is several times
    ///   faster for a somewhat lower ratio (shared/reference/feasibility.md §1).
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        guard let compressor = libdeflate_alloc_compressor(level) else {
            throw CompressionError(.gzip, "cannot create a compressor at level \(level)")
        }
        defer { libdeflate_free_compressor(compressor) }
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        return try [UInt8](unsafeUninitializedCapacity: bound) { out, count in
            count = input.withUnsafeBufferPointer { inBuf in
                libdeflate_gzip_compress(compressor, inBuf.baseAddress, inBuf.count, out.baseAddress, out.count)
            }
            guard count > 0 else { throw CompressionError(.gzip, "compression failed") }
        }
    }
}
