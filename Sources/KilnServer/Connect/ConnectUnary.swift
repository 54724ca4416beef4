import Foundation
import HTTPTypes
import Hummingbird
import KilnCompression
import Logging
import SwiftProtobuf

/// The Connect protocol's unary call over HTTP POST: codec negotiation,
/// request decompression, response compression and error encoding
/// (shared/reference/pyroscope-api.md §1). Like a connect-go handler, which
/// Pyroscope's are, it also answers the gRPC and gRPC-Web protocols: a
/// request whose Content-Type is `application/grpc*` goes to `GRPCUnary`,
/// so every route speaks all three.
struct ConnectUnary: Sendable {
    /// The two codecs a Connect server must accept.
    enum Codec: Sendable {
        case proto, json

        var contentType: String {
            switch self {
            case .proto: "application/proto"
            case .json: "application/json"
            }
        }
    }

    /// Responses at least this large are gzipped when the client accepts gzip;
    /// below it the gzip header and CPU cost more than they save.
    static let compressMinBytes = 1024

    let config: ServerConfig
    let logger: Logger

    /// Serves one unary call: decodes `Req`, runs `handler`, encodes its answer.
    func serve<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(
        _ request: Request, _: Req.Type, handler: (Req, String) async throws -> Res
    ) async -> Response {
        if GRPCUnary.isGRPC(request) { return await GRPCUnary(config: config, logger: logger).serve(request, Req.self, handler: handler) }
        let codec: Codec
        do {
            codec = try Self.codec(of: request)
        } catch {
            return Self.errorResponse(error)
        }
        do {
            let tenant = try Tenant.of(request, config)
            let body = try await RequestBody.read(request, config: config)
            let message: Req
            do {
                switch codec {
                case .proto:
                    message = try Req(serializedBytes: body)
                case .json:
                    guard !body.isEmpty else {
                        throw ConnectError(.invalidArgument, "zero-length payload is not a valid JSON object")
                    }
                    var options = JSONDecodingOptions()
                    options.ignoreUnknownFields = true
                    message = try Req(jsonUTF8Bytes: body, options: options)
                }
            } catch let e as ConnectError {
                throw e
            } catch {
                throw ConnectError(.invalidArgument, "cannot decode \(Req.protoMessageName) from \(codec.contentType): \(error)")
            }
            let response = try await handler(message, tenant)
            var bytes: [UInt8] = codec == .proto ? try response.serializedBytes() : try response.jsonUTF8Bytes()
            var headers: HTTPFields = [.contentType: codec.contentType, .acceptEncoding: "gzip"]
            if bytes.count >= Self.compressMinBytes, Self.acceptsGzip(request) {
                bytes = try Gzip.compress(bytes, level: 1)
                headers[.contentEncoding] = "gzip"
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch {
            if !(error is ConnectError) {
                logger.error("internal error serving \(request.uri.path): \(error)")
            }
            return Self.errorResponse(error)
        }
    }

    /// The codec named by the request's Content-Type, after checking the protocol version.
    static func codec(of request: Request) throws -> Codec {
        if let version = request.headers[.connectProtocolVersion], version != "1" {
            throw ConnectError(.invalidArgument, "Connect-Protocol-Version must be \"1\", got \"\(version)\"")
        }
        let raw = request.headers[.contentType] ?? ""
        switch mediaType(raw) {
        case "application/proto", "application/protobuf", "application/x-protobuf": return .proto
        case "application/json": return .json
        default:
            throw ConnectError(
                .invalidArgument,
                "unsupported Content-Type \"\(raw)\": Connect unary calls take application/proto or application/json",
                status: 415)
        }
    }

    /// A Content-Type's media type, lower-cased, without its parameters (`application/json; charset=utf-8` → `application/json`).
    static func mediaType(_ contentType: String) -> String {
        contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        guard let accept = request.headers[.acceptEncoding] else { return false }
        return accept.split(separator: ",").contains {
            $0.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "gzip"
        }
    }

    /// A Connect error as an HTTP response: status from the code, JSON body.
    static func errorResponse(_ error: any Error) -> Response {
        let e = error as? ConnectError ?? ConnectError(.internal, "internal error")
        return Response(
            status: .init(code: e.httpStatus),
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: e.jsonBody))
        )
    }
}

extension HTTPField.Name {
    static let connectProtocolVersion = Self("Connect-Protocol-Version")!
    static let scopeOrgID = Self("X-Scope-OrgID")!
    static let contentTypeOptions = Self("X-Content-Type-Options")!
}
