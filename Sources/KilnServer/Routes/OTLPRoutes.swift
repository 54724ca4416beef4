import Foundation
import HTTPTypes
import Hummingbird
import KilnIngest
import KilnOTLP
import KilnProto
import Logging
import SwiftProtobuf

/// OTLP profiles, where Pyroscope serves them on its main port
/// (pkg/ingester/otlp/ingest_handler.go):
///
/// - `POST /v1development/profiles` (OTLP/HTTP): `application/x-protobuf`,
///   `application/protobuf` or `application/json`, optionally gzipped
///   (`Content-Encoding: gzip`); any other type is 415 `Unsupported
///   Content-Type: <type>`. The answer is an empty
///   `ExportProfilesServiceResponse` in the request's encoding; errors are
///   plain text: 400 for a body that does not parse or a profile that does
///   not convert (`OTLPError` names the field), 413 over a size limit, 429
///   over the ingestion rate, 401 without a tenant under multi-tenancy.
/// - `opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export`
///   over native gRPC (or gRPC-Web, or Connect), the same conversion, its
///   errors as gRPC status codes (`INVALID_ARGUMENT` for bad input).
///
/// The whole request converts and validates before anything is stored, so a
/// refused request stores nothing.
struct OTLPRoutes: Sendable {
    static let httpPath = "/v1development/profiles"
    static let grpcPath = "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export"
    typealias ExportRequest = OTLPProfiles.Request
    typealias Reply = Opentelemetry_Proto_Collector_Profiles_V1development_ExportProfilesServiceResponse

    let push: PushRoutes
    let connect: ConnectUnary
    let logger: Logger

    func register(on router: Router<KilnRequestContext>) {
        router.post(RouterPath(Self.httpPath)) { request, _ in await http(request) }
        router.post(RouterPath(Self.grpcPath)) { request, _ in await connect.serve(request, ExportRequest.self, handler: export) }
    }

    /// Converts and stores every profile of `message` for `tenant`.
    /// - Throws: `ConnectError`: `invalid_argument` for what does not convert,
    ///   and what `PushRoutes.store` throws.
    func export(_ message: ExportRequest, tenant: String) async throws -> Reply {
        let now = Date().unixNanoseconds
        let converted: [DecodedProfile]
        do { converted = try OTLPProfiles.convert(message, nowNanos: now) } catch {
            PushRoutes.rejected("invalid").increment()
            throw ConnectError(.invalidArgument, "failed to convert otel profile: \(error)")
        }
        try await push.store(decoded: converted, tenant: tenant, nowNanos: now)
        return Reply()
    }

    /// OTLP/HTTP: the body in the encoding its Content-Type names; errors as plain text.
    func http(_ request: Request) async -> Response {
        let type = request.headers[.contentType] ?? ""
        let media = ConnectUnary.mediaType(type)
        let json = media == "application/json"
        do {
            guard json || media == "application/x-protobuf" || media == "application/protobuf" else {
                throw ConnectError(.invalidArgument, "Unsupported Content-Type: \(type)", status: 415)
            }
            let tenant = try Tenant.of(request, connect.config)
            let body = try await RequestBody.read(request, config: connect.config)
            let message: ExportRequest
            do {
                if json {
                    var options = JSONDecodingOptions()
                    options.ignoreUnknownFields = true
                    message = try ExportRequest(jsonUTF8Bytes: body, options: options)
                } else {
                    message = try ExportRequest(serializedBytes: body)
                }
            } catch {
                throw ConnectError(.invalidArgument, "Failed to parse \(json ? "JSON" : "protobuf") request: \(error)")
            }
            let reply = try await export(message, tenant: tenant)
            let bytes: [UInt8] = json ? try reply.jsonUTF8Bytes() : try reply.serializedBytes()
            return Response(
                status: .ok, headers: [.contentType: json ? "application/json" : "application/x-protobuf"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        } catch {
            let e = error as? ConnectError ?? ConnectError(.internal, "internal error")
            if !(error is ConnectError) { logger.error("internal error serving \(Self.httpPath): \(error)") }
            return Response(
                status: .init(code: e.httpStatus), headers: [.contentType: "text/plain; charset=utf-8", .contentTypeOptions: "nosniff"],
                body: .init(byteBuffer: ByteBuffer(string: e.message + "\n")))
        }
    }
}
