import CZlib

/// gzip (RFC 1952) through zlib, for pprof payloads and HTTP bodies.
///
/// Invariant: `decompress` never produces more than `maxOutputBytes`; a
/// payload that would inflate past it is rejected, so a small hostile body
/// (a "zip bomb") cannot exhaust memory.
public enum Gzip {
    /// zlib's `windowBits` for a gzip wrapper: 15 (32 KiB window) + 16.
    static let gzipWindowBits: Int32 = 15 + 16
    /// zlib's default memory level (8), as gzip(1) uses.
    static let defaultMemLevel: Int32 = 8

    /// The first two bytes of every gzip member (RFC 1952 §2.3.1).
    public static let magic: (UInt8, UInt8) = (0x1f, 0x8b)

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
    ///   larger than `maxOutputBytes`.
    /// - Complexity: O(output); the output buffer doubles as it grows.
    public static func decompress(_ input: [UInt8], maxOutputBytes: Int = Int.max) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, gzipWindowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CompressionError(.gzip, "inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }

        var output = [UInt8](repeating: 0, count: min(max(input.count * 4, 1024), maxOutputBytes == Int.max ? Int(Int32.max) : max(maxOutputBytes, 1)))
        var produced = 0
        try input.withUnsafeBufferPointer { inBuf in
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                if produced == output.count {
                    guard output.count < maxOutputBytes else {
                        throw CompressionError(.gzip, "decompressed size exceeds the limit of \(maxOutputBytes) bytes")
                    }
                    output.append(contentsOf: repeatElement(0, count: min(output.count, maxOutputBytes - output.count)))
                }
                let status: Int32 = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = UInt32(outBuf.count - produced)
                    let before = stream.avail_out
                    let status = inflate(&stream, Z_NO_FLUSH)
                    produced += Int(before - stream.avail_out)
                    return status
                }
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return }
                    // Another member follows: start it afresh.
                    guard inflateReset(&stream) == Z_OK else { throw CompressionError(.gzip, "inflateReset failed") }
                case Z_OK:
                    if stream.avail_in == 0 && stream.avail_out != 0 {
                        throw CompressionError(.gzip, "unexpected end of input (truncated stream)")
                    }
                case Z_BUF_ERROR:
                    if stream.avail_out != 0 { throw CompressionError(.gzip, "unexpected end of input (truncated stream)") }
                case Z_DATA_ERROR:
                    let msg = stream.msg.map { String(cString: $0) } ?? "corrupt data"
                    throw CompressionError(.gzip, "invalid data at input offset \(inBuf.count - Int(stream.avail_in)): \(msg)")
                case Z_MEM_ERROR:
                    throw CompressionError(.gzip, "out of memory")
                default:
                    throw CompressionError(.gzip, "inflate failed with status \(status)")
                }
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Deflates `input` into one gzip member.
    ///
    /// - Parameter level: zlib level 0...9; 6 is gzip's default, 1 is ~5x
    ///   faster for ~0.6x the ratio (shared/reference/feasibility.md §1).
    public static func compress(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, gzipWindowBits, defaultMemLevel, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CompressionError(.gzip, "deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        var output = [UInt8](repeating: 0, count: bound)
        let status: Int32 = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw CompressionError(.gzip, "deflate failed with status \(status)") }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
