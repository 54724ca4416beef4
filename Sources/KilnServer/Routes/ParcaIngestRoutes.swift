import Foundation
import Hummingbird
import KilnArrow
import KilnIngest
import KilnModel
import KilnProto
import KilnStorage
import Logging
import SwiftProtobuf

/// Parca's ingest surface (shared/reference/parca-api.md §4):
/// `parca.profilestore.v1alpha1.ProfileStoreService/WriteRaw` and
/// `WriteArrow` (Parca Agent's default: v2 Arrow samples, `ParcaArrowSamples`),
/// over native gRPC (HTTP/2, as Parca Agent sends), gRPC-Web or Connect
/// (`ConnectUnary` chooses by Content-Type), on the procedure path with up
/// to two leading segments as the query service; the calls Parca Agent
/// makes besides: `DebuginfoService/ShouldInitiateUpload` answers "no
/// upload" (Kiln keeps no debug info), `TelemetryService/ReportPanic` is
/// accepted and logged.
///
/// A WriteRaw profile is a Pyroscope push in all but framing: the same
/// conversion (`PushConverter`: one series per sample type, sample labels
/// split into series, spans kept), so it is queryable through every API.
/// Parca's `job` label stands in for `service_name` when the series has none.
struct ParcaIngestRoutes: Sendable {
    static let profileStore = "parca.profilestore.v1alpha1.ProfileStoreService"
    static let debuginfo = "parca.debuginfo.v1alpha1.DebuginfoService"
    static let telemetry = "parca.telemetry.v1alpha1.TelemetryService"

    let push: PushRoutes
    let connect: ConnectUnary
    let logger: Logger

    func register(on router: Router<KilnRequestContext>) {
        for prefix in ["", "/api", "/*", "/*/*"] {
            router.post(RouterPath(prefix + "/" + Self.profileStore + "/WriteRaw")) { request, _ in
                await connect.serve(request, Parca_Profilestore_V1alpha1_WriteRawRequest.self, handler: writeRaw)
            }
            router.post(RouterPath(prefix + "/" + Self.profileStore + "/WriteArrow")) { request, _ in
                await connect.serve(request, Parca_Profilestore_V1alpha1_WriteArrowRequest.self, handler: writeArrow)
            }
            router.post(RouterPath(prefix + "/" + Self.debuginfo + "/ShouldInitiateUpload")) { request, _ in
                await connect.serve(request, Parca_Debuginfo_V1alpha1_ShouldInitiateUploadRequest.self) { _, _ in
                    var out = Parca_Debuginfo_V1alpha1_ShouldInitiateUploadResponse()
                    out.shouldInitiateUpload = false
                    out.reason = "Kiln does not store debug info; symbolize before sending"
                    return out
                }
            }
            router.post(RouterPath(prefix + "/" + Self.telemetry + "/ReportPanic")) { [logger] request, _ in
                await connect.serve(request, Google_Protobuf_Empty.self) { report, tenant in
                    logger.warning(
                        "a Parca agent reported a panic", metadata: ["tenant": "\(tenant)", "bytes": "\(report.unknownFields.data.count)"])
                    return Google_Protobuf_Empty()
                }
            }
        }
    }

    func writeRaw(_ message: Parca_Profilestore_V1alpha1_WriteRawRequest, tenant: String) async throws -> Parca_Profilestore_V1alpha1_WriteRawResponse
    {
        let now = Date().unixNanoseconds
        var profiles: [IngestProfile] = []
        for series in message.series {
            var labels = series.labels.labels.map { Label($0.name, $0.value) }
            if !labels.contains(where: { $0.name == ReservedLabels.serviceName }), let job = labels.first(where: { $0.name == "job" }) {
                labels.append(Label(ReservedLabels.serviceName, job.value))
            }
            for sample in series.samples {
                profiles.append(try push.convert(labels: labels, rawProfile: Array(sample.rawProfile), id: "", nowNanos: now, tenant: tenant))
            }
        }
        guard !profiles.isEmpty else { throw ConnectError(.invalidArgument, "no profiles received") }
        try await push.store(profiles, tenant: tenant)
        return Parca_Profilestore_V1alpha1_WriteRawResponse()
    }

    /// Parca Agent's v2 Arrow samples (`ParcaArrowSamples`), read within the
    /// server's decompression limit; converted and validated whole before anything is stored.
    func writeArrow(_ message: Parca_Profilestore_V1alpha1_WriteArrowRequest, tenant: String) async throws
        -> Parca_Profilestore_V1alpha1_WriteArrowResponse
    {
        let now = Date().unixNanoseconds
        let config = push.connect.config
        let converted: [DecodedProfile]
        do {
            let stream = try ArrowStreamReader.read(Array(message.ipcBuffer), maxBytes: config.maxDecompressedBytes)
            converted = try ParcaArrowSamples.convert(stream)
        } catch let e as ArrowReadError {
            PushRoutes.rejected("invalid").increment()
            throw ConnectError(.invalidArgument, "failed to read arrow IPC record: \(e)")
        } catch {
            PushRoutes.rejected("invalid").increment()
            throw ConnectError(.invalidArgument, "failed to add sample record: \(error)")
        }
        try await push.store(decoded: converted, tenant: tenant, nowNanos: now)
        return Parca_Profilestore_V1alpha1_WriteArrowResponse()
    }
}
