import HTTPTypes
import Hummingbird
import KilnCompression
import NIOCore

/// Reads a request body within the configured limits, undoing a gzip
/// `Content-Encoding`.
enum RequestBody {
    /// - Throws: `ConnectError` — `resource_exhausted` with HTTP 413 when the body
    ///   (or its decompressed form) exceeds the limit, `invalid_argument` for bad
    ///   gzip, `unimplemented` for an encoding other than gzip/identity.
    static func read(_ request: Request, config: ServerConfig) async throws -> [UInt8] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: config.maxRequestBodyBytes)
        } catch is NIOTooManyBytesError {
            throw ConnectError(.resourceExhausted, "request body exceeds the limit of \(config.maxRequestBodyBytes) bytes", status: 413)
        }
        let bytes = Array(buffer.readableBytesView)
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "", "identity":
            return bytes
        case "gzip":
            do {
                return try Gzip.decompress(bytes, maxOutputBytes: config.maxDecompressedBytes)
            } catch let e as CompressionError where e.exceedsOutputLimit {
                throw ConnectError(
                    .resourceExhausted, "decompressed request body exceeds the limit of \(config.maxDecompressedBytes) bytes", status: 413)
            } catch {
                throw ConnectError(
                    .invalidArgument, "request body is not valid gzip (Content-Encoding: gzip): \((error as? CompressionError)?.reason ?? "\(error)")"
                )
            }
        case let other?:
            throw ConnectError(.unimplemented, "unsupported Content-Encoding \"\(other)\": use gzip or identity")
        }
    }
}
