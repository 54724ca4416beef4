import HTTPTypes
import Hummingbird
import KilnCompression
import Logging
import NIOCore
import SwiftProtobuf

/// Unary gRPC-Web over HTTP/1.1, as Grafana's Parca data source speaks it
/// (shared/reference/parca-api.md §1.2-1.3): the request body is one
/// length-prefixed message (flag byte, 4-byte big-endian length, protobuf);
/// the answer is HTTP 200 with `Content-Type: application/grpc-web+proto`,
/// one data frame and a trailer frame (`0x80`) holding `grpc-status: 0`.
/// Errors are trailers-only: `grpc-status` and a percent-encoded
/// `grpc-message` as HTTP headers, and an empty body.
struct GRPCWebUnary: Sendable {
    let config: ServerConfig
    let logger: Logger

    static let contentType = "application/grpc-web+proto"
    static let dataFlag: UInt8 = 0x00
    static let compressedFlag: UInt8 = 0x01
    static let trailerFlag: UInt8 = 0x80

    func serve<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(
        _ request: Request, _: Req.Type, handler: (Req, String) async throws -> Res
    ) async -> Response {
        do {
            let type = request.headers[.contentType] ?? ""
            guard type == "application/grpc-web" || type.hasPrefix(Self.contentType) else {
                throw ConnectError(.invalidArgument, "content type \(type) is not supported; send application/grpc-web+proto")
            }
            let tenant = try Tenant.of(request, config)
            let body = try await RequestBody.read(request, config: config)
            let message: Req
            do {
                message = try Req(
                    serializedBytes: try Self.payload(of: body, encoding: request.headers[HTTPField.Name("Grpc-Encoding")!], config: config))
            } catch let e as ConnectError {
                throw e
            } catch {
                throw ConnectError(.invalidArgument, "cannot decode \(Req.protoMessageName): \(error)")
            }
            let bytes: [UInt8] = try await handler(message, tenant).serializedBytes()
            var out = Self.frame(Self.dataFlag, bytes)
            out += Self.frame(Self.trailerFlag, Array("grpc-status: 0\r\ngrpc-message: \r\n".utf8))
            return Response(status: .ok, headers: [.contentType: Self.contentType], body: .init(byteBuffer: ByteBuffer(bytes: out)))
        } catch {
            let e = error as? ConnectError ?? ConnectError(.internal, "internal error")
            if !(error is ConnectError) { logger.error("internal error serving \(request.uri.path): \(error)") }
            var headers: HTTPFields = [.contentType: Self.contentType]
            headers[HTTPField.Name("grpc-status")!] = String(Self.grpcStatus(e.code))
            headers[HTTPField.Name("grpc-message")!] = Self.percentEncoded(e.message)
            return Response(status: .ok, headers: headers)
        }
    }

    /// The one message of a request body; a compressed frame is inflated with `Grpc-Encoding` (gzip only).
    static func payload(of body: [UInt8], encoding: String?, config: ServerConfig) throws -> [UInt8] {
        guard body.count >= 5 else { throw ConnectError(.invalidArgument, "gRPC-Web body of \(body.count) bytes has no message frame") }
        let flag = body[0]
        let length = Int(body[1]) << 24 | Int(body[2]) << 16 | Int(body[3]) << 8 | Int(body[4])
        guard flag & trailerFlag == 0 else { throw ConnectError(.invalidArgument, "a request may not carry a trailer frame") }
        guard body.count == 5 + length else {
            throw ConnectError(.invalidArgument, "gRPC-Web body of \(body.count) bytes does not hold exactly one message of \(length) bytes")
        }
        let payload = Array(body[5...])
        guard flag & compressedFlag != 0 else { return payload }
        guard encoding == "gzip" else {
            throw ConnectError(.unimplemented, "message compression \(encoding ?? "(none named)") is not supported; use gzip")
        }
        do { return try Gzip.decompress(payload, maxOutputBytes: config.maxDecompressedBytes) } catch {
            throw ConnectError(.invalidArgument, "message does not gunzip: \(error)")
        }
    }

    static func frame(_ flag: UInt8, _ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [flag, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
    }

    /// gRPC's status numbers for Connect's codes (the same code set).
    static func grpcStatus(_ code: ConnectError.Code) -> Int {
        switch code {
        case .canceled: 1
        case .unknown: 2
        case .invalidArgument: 3
        case .deadlineExceeded: 4
        case .notFound: 5
        case .alreadyExists: 6
        case .permissionDenied: 7
        case .resourceExhausted: 8
        case .failedPrecondition: 9
        case .aborted: 10
        case .outOfRange: 11
        case .unimplemented: 12
        case .internal: 13
        case .unavailable: 14
        case .dataLoss: 15
        case .unauthenticated: 16
        }
    }

    /// gRPC's rule for `grpc-message`: bytes below 0x20, above 0x7E, and `%` percent-encoded.
    static func percentEncoded(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            if b < 0x20 || b > 0x7E || b == 0x25 {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
