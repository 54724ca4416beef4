import HTTPTypes
import Hummingbird
import KilnIngest
import KilnModel
import KilnProto
import KilnStorage
import Logging

/// The ingest surface: Connect `push.v1.PusherService/Push` and the legacy
/// `POST /ingest` (shared/reference/pyroscope-api.md §3).
///
/// An upload is converted and validated whole before anything is appended, so
/// a rejected request leaves no partial data behind.
struct PushRoutes: Sendable {
    let ingester: Ingester
    let connect: ConnectUnary
    let logger: Logger

    func register(on router: Router<KilnRequestContext>) {
        router.post("/push.v1.PusherService/Push") { request, _ in
            await connect.serve(request, Push_V1_PushRequest.self) { message, tenant in
                try await push(message, tenant: tenant)
            }
        }
        for path in ["/ingest", "/pyroscope/ingest"] {
            router.post(RouterPath(path)) { request, _ in await ingest(request) }
        }
    }

    func push(_ message: Push_V1_PushRequest, tenant: String) async throws -> Push_V1_PushResponse {
        let now = Clock.nowNanos()
        var profiles: [IngestProfile] = []
        for series in message.series {
            let labels = series.labels.map { Label($0.name, $0.value) }
            for sample in series.samples {
                profiles.append(try Self.convert(labels: labels, rawProfile: Array(sample.rawProfile), id: sample.id, nowNanos: now,
                                                 maxProfileBytes: connect.config.maxDecompressedBytes))
            }
        }
        guard !profiles.isEmpty else { throw ConnectError(.invalidArgument, "no profiles received") }
        try await store(profiles, tenant: tenant)
        return Push_V1_PushResponse()
    }

    /// `PushConverter.convert`, its errors as Connect errors: 413 for a profile
    /// too large once decompressed, 400 for anything else.
    static func convert(labels: [Label], rawProfile: [UInt8], id: String, nowNanos: Int64, maxProfileBytes: Int) throws(ConnectError) -> IngestProfile {
        do {
            return try PushConverter.convert(labels: labels, rawProfile: rawProfile, id: id, nowNanos: nowNanos, maxProfileBytes: maxProfileBytes)
        } catch {
            throw error.kind == .tooLarge
                ? ConnectError(.resourceExhausted, error.message, status: 413)
                : ConnectError(.invalidArgument, error.message)
        }
    }

    /// Appends to the head and waits until the WAL has made it durable.
    func store(_ profiles: [IngestProfile], tenant: String) async throws {
        do {
            try await ingester.push(profiles, tenant: tenant)
        } catch {
            logger.error("push not stored: \(error)")
            throw ConnectError(.unavailable, "the write-ahead log is unavailable; the push was not stored")
        }
    }

    func ingest(_ request: Request) async -> Response {
        do {
            let tenant = try Tenant.of(request, connect.config)
            let query = QueryString.parse(request.uri.query ?? "")
            let meta: IngestRequest
            do {
                meta = try IngestRequest(query: query, nowNanos: Clock.nowNanos())
            } catch {
                throw ConnectError(.invalidArgument, error.message)
            }
            let body = try await RequestBody.read(request, config: connect.config)
            let profiles: [IngestProfile]
            do {
                profiles = try IngestConverter.convert(meta, contentType: request.headers[.contentType], body: body,
                                                       maxProfileBytes: connect.config.maxDecompressedBytes)
            } catch {
                switch error.kind {
                case .invalidArgument, .unsupported: throw ConnectError(.invalidArgument, error.message)
                case .unprocessable: throw ConnectError(.unknown, error.message, status: 422)
                case .tooLarge: throw ConnectError(.resourceExhausted, error.message, status: 413)
                }
            }
            try await store(profiles, tenant: tenant)
            return Response(status: .ok)
        } catch {
            let e = error as? ConnectError ?? ConnectError(.internal, "internal error")
            if !(error is ConnectError) { logger.error("internal error serving /ingest: \(error)") }
            return Response(
                status: .init(code: e.httpStatus),
                headers: [.contentType: "application/json", .contentTypeOptions: "nosniff"],
                body: .init(byteBuffer: ByteBuffer(bytes: e.jsonBody))
            )
        }
    }
}
