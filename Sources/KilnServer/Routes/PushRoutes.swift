import Foundation
import HTTPTypes
import Hummingbird
import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnProto
import KilnStorage
import Logging
import Metrics

/// The ingest surface: Connect `push.v1.PusherService/Push` and the legacy
/// `POST /ingest` (shared/reference/pyroscope-api.md §3).
///
/// An upload is converted and validated whole, under its tenant's limits,
/// before anything is appended, so a rejected request leaves no partial data
/// behind.
struct PushRoutes: Sendable {
    let sink: any PushSink
    let connect: ConnectUnary
    let limiter: IngestionRateLimiter
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
        let now = Date().unixNanoseconds
        var profiles: [IngestProfile] = []
        for series in message.series {
            let labels = series.labels.map { Label($0.name, $0.value) }
            for sample in series.samples {
                profiles.append(try convert(labels: labels, rawProfile: Array(sample.rawProfile), id: sample.id, nowNanos: now, tenant: tenant))
            }
        }
        guard !profiles.isEmpty else { throw ConnectError(.invalidArgument, "no profiles received") }
        try await store(profiles, tenant: tenant)
        return Push_V1_PushResponse()
    }

    /// `PushConverter.convert` under `tenant`'s limits, its errors as Connect
    /// errors: 413 for a profile too large, 400 for anything else.
    func convert(labels: [Label], rawProfile: [UInt8], id: String, nowNanos: Int64, tenant: String) throws(ConnectError) -> IngestProfile {
        do {
            return try PushConverter.convert(
                labels: labels, rawProfile: rawProfile, id: id, nowNanos: nowNanos,
                maxProfileBytes: connect.config.maxDecompressedBytes, limits: connect.config.limits.of(tenant).ingest)
        } catch {
            throw Self.refusal(error)
        }
    }

    /// A refused profile, counted, as the Connect error Push answers: 413 for a profile too large, 400 for anything else.
    static func refusal(_ error: IngestError) -> ConnectError {
        rejected(for: error).increment()
        return error.kind == .tooLarge ? ConnectError(.resourceExhausted, error.message, status: 413) : ConnectError(.invalidArgument, error.message)
    }

    /// Profiles decoded by another path (OTLP, Parca's Arrow samples): each
    /// through `PushConverter` under `tenant`'s limits, then stored together;
    /// nothing is stored when one is refused. Errors as `convert(labels:rawProfile:…)`'s.
    func store(decoded: [DecodedProfile], tenant: String, nowNanos: Int64) async throws {
        let limits = connect.config.limits.of(tenant).ingest
        var profiles: [IngestProfile] = []
        profiles.reserveCapacity(decoded.count)
        for d in decoded {
            do {
                profiles.append(try PushConverter.convert(d, nowNanos: nowNanos, limits: limits))
            } catch {
                throw Self.refusal(error)
            }
        }
        if !profiles.isEmpty { try await store(profiles, tenant: tenant) }
    }

    /// Checks the tenant's ingestion rate, appends to the head (within its
    /// series limit) and waits until the WAL has made it durable.
    /// - Throws: `ConnectError` 429 (`resource_exhausted`) over a limit, 503 when the WAL is unavailable.
    func store(_ profiles: [IngestProfile], tenant: String) async throws {
        let limits = connect.config.limits.of(tenant)
        let bytes = profiles.reduce(0) { $0 + $1.sizeBytes }
        guard limiter.allow(tenant: tenant, bytes: bytes, limits: limits, now: IngestionRateLimiter.now()) else {
            Self.rejected("rate_limited").increment()
            throw ConnectError(
                .resourceExhausted,
                Double(bytes) > limits.ingestionBurstBytes
                    ? "push of \(bytes) bytes (uncompressed) is larger than ingestion_burst_size_mb (\(limits.ingestionBurstSizeMB) MiB) for tenant \(tenant); the push was not stored"
                    : "ingestion rate limit exceeded for tenant \(tenant): ingestion_rate_mb is \(limits.ingestionRateMB) MiB/s with ingestion_burst_size_mb \(limits.ingestionBurstSizeMB) MiB; the push of \(bytes) bytes was not stored"
            )
        }
        do {
            try await sink.push(profiles, tenant: tenant, maxSeries: limits.maxSeriesPerTenant)
        } catch let e as SeriesLimitError {
            limiter.refund(tenant: tenant, bytes: bytes, limits: limits)
            Self.rejected("series_limit").increment()
            throw ConnectError(.resourceExhausted, e.description)
        } catch {
            limiter.refund(tenant: tenant, bytes: bytes, limits: limits)
            Self.rejected("unavailable").increment()
            logger.error("push not stored: \(error)")
            throw ConnectError(.unavailable, "the write-ahead log is unavailable; the push was not stored")
        }
        Self.profilesIngested.increment(by: profiles.count)
        Self.samplesIngested.increment(by: profiles.reduce(0) { $0 + $1.profile.sampleCount })
        Self.bytesIngested.increment(by: bytes)
    }

    /// Profiles, samples and uncompressed bytes stored (acknowledged pushes only).
    static let profilesIngested = Counter(label: "kiln_ingest_profiles_total")
    static let samplesIngested = Counter(label: "kiln_ingest_samples_total")
    static let bytesIngested = Counter(label: "kiln_ingest_bytes_total")

    /// Profiles or pushes refused, by reason: `invalid`, `too_large` (per
    /// profile, at conversion); `rate_limited`, `series_limit`, `unavailable` (per push).
    static func rejected(_ reason: String) -> Counter {
        Counter(label: "kiln_ingest_rejected_total", dimensions: [("reason", reason)])
    }

    static func rejected(for error: IngestError) -> Counter { rejected(error.kind == .tooLarge ? "too_large" : "invalid") }

    func ingest(_ request: Request) async -> Response {
        do {
            let tenant = try Tenant.of(request, connect.config)
            let query = QueryString.parse(request.uri.query ?? "")
            let meta: IngestRequest
            do {
                meta = try IngestRequest(query: query, nowNanos: Date().unixNanoseconds)
            } catch {
                throw ConnectError(.invalidArgument, error.message)
            }
            let body = try await RequestBody.read(request, config: connect.config)
            let profiles: [IngestProfile]
            do {
                profiles = try IngestConverter.convert(
                    meta, contentType: request.headers[.contentType], body: body,
                    maxProfileBytes: connect.config.maxDecompressedBytes,
                    limits: connect.config.limits.of(tenant).ingest)
            } catch {
                Self.rejected(for: error).increment()
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
