import Foundation
import Hummingbird
import KilnStorage
import Logging

/// Operator endpoints. `/ingester/flush` (GET or POST, as Pyroscope's) cuts
/// every tenant's head into a block now and answers with the blocks written,
/// as JSON: `{"blocks":[{"tenant":…,"ulid":…,"profiles":…,"samples":…}]}`.
struct AdminRoutes: Sendable {
    let heads: any HeadFlusher
    let logger: Logger

    func register(on router: Router<KilnRequestContext>) {
        router.post("/ingester/flush") { _, _ in try await flush() }
        router.get("/ingester/flush") { _, _ in try await flush() }
    }

    private func flush() async throws -> Response {
        guard heads.blockDirectory != nil else {
            return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "blocks are not enabled\n")))
        }
        do {
            let metas = try await heads.flushHeads(logger: logger)
            for m in metas {
                logger.info(
                    "head cut",
                    metadata: ["tenant": "\(m.tenant)", "block": "\(m.ulid)", "profiles": "\(m.stats.profiles)", "samples": "\(m.stats.samples)"])
            }
            let blocks = metas.map { ["tenant": $0.tenant, "ulid": $0.ulid, "profiles": "\($0.stats.profiles)", "samples": "\($0.stats.samples)"] }
            let body = try JSONSerialization.data(withJSONObject: ["blocks": blocks], options: [.sortedKeys])
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        } catch {
            logger.error("head cut failed", metadata: ["error": "\(error)"])
            return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "cut failed: \(error)\n")))
        }
    }
}
