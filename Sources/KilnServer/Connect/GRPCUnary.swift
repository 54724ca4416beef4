import HTTPTypes
import Hummingbird
import KilnCompression
import Logging
import NIOCore
import SwiftProtobuf

/// Unary gRPC calls in both framings Kiln's clients use
/// (shared/reference/parca-api.md §1.2-1.3): the request body is one
/// length-prefixed message (flag byte, 4-byte big-endian length, protobuf);
/// the answer is HTTP 200 with one data frame and the status.
///
/// - gRPC-Web (`application/grpc-web*`, HTTP/1.1, as Grafana's Parca data
///   source speaks it): the status is a trailer frame (`0x80`) in the body;
///   errors are trailers-only, `grpc-status` and `grpc-message` as headers.
/// - native gRPC (`application/grpc*`, HTTP/2, as Parca Agent, grpcio and
///   OTel exporters speak it): the status is in HTTP/2 trailers, for errors
///   after an empty body.
///
/// `grpc-message` is percent-encoded as gRPC requires.
struct GRPCUnary: Sendable {
    let config: ServerConfig
    let logger: Logger

    enum Framing: Sendable {
        case web, native

        /// The framing named by a request's Content-Type; nil for anything not gRPC.
        init?(contentType: String) {
            switch ConnectUnary.mediaType(contentType) {
            case "application/grpc-web", "application/grpc-web+proto": self = .web
            case "application/grpc", "application/grpc+proto": self = .native
            default: return nil
            }
        }

        var contentType: String {
            switch self {
            case .web: "application/grpc-web+proto"
            case .native: "application/grpc+proto"
            }
        }
    }

    static let dataFlag: UInt8 = 0x00
    static let compressedFlag: UInt8 = 0x01
    static let trailerFlag: UInt8 = 0x80

    /// Whether `request` is a gRPC call (either framing), so routes that also speak Connect can choose.
    static func isGRPC(_ request: Request) -> Bool { Framing(contentType: request.headers[.contentType] ?? "") != nil }

    func serve<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(
        _ request: Request, _: Req.Type, handler: (Req, String) async throws -> Res
    ) async -> Response {
        let type = request.headers[.contentType] ?? ""
        let named = Framing(contentType: type)
        // An error for a request that names no gRPC framing is answered in gRPC-Web's.
        let framing = named ?? .web
        do {
            guard named != nil else {
                throw ConnectError(
                    .invalidArgument, "content type \(type) is not supported; send application/grpc+proto or application/grpc-web+proto")
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
            return Self.response(framing, message: Self.frame(Self.dataFlag, bytes), status: 0, text: "")
        } catch {
            let e = error as? ConnectError ?? ConnectError(.internal, "internal error")
            if !(error is ConnectError) { logger.error("internal error serving \(request.uri.path): \(error)") }
            return Self.response(framing, message: nil, status: Self.grpcStatus(e.code), text: e.message)
        }
    }

    /// The answer in `framing`: `message` (a data frame) if any, then the status.
    static func response(_ framing: Framing, message: [UInt8]?, status: Int, text: String) -> Response {
        var headers: HTTPFields = [.contentType: framing.contentType]
        var trailers = HTTPFields()
        trailers[.grpcStatus] = String(status)
        trailers[.grpcMessage] = percentEncoded(text)
        switch framing {
        case .web:
            guard let message else {
                headers.append(contentsOf: trailers)
                return Response(status: .ok, headers: headers)
            }
            let trailer = trailers.map { "\($0.name.canonicalName): \($0.value)\r\n" }.joined()
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: message + frame(trailerFlag, Array(trailer.utf8)))))
        case .native:
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { [trailers] writer in
                    if let message { try await writer.write(ByteBuffer(bytes: message)) }
                    try await writer.finish(trailers)
                })
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

extension HTTPField.Name {
    static let grpcStatus = Self("grpc-status")!
    static let grpcMessage = Self("grpc-message")!
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
