import Hummingbird
import KilnProto
import KilnQuery
import KilnStorage
import Logging

/// The internal head API an ingester serves its queriers
/// (Sources/KilnProto/proto/kiln/ingester/v1/ingester.proto): one tenant's
/// sources that the querier does not read from the bucket itself, reduced to
/// what the querier's query needs (`Query.extracts`).
///
/// Which blocks answer: none the querier named (it reads them itself) or
/// named as the source of one it reads (their data is in it), and none
/// already in the bucket (only the bucket serves those). A shipped block the
/// querier neither named nor covered is listed in `stale_blocks`: the querier
/// re-lists the bucket and asks again. The answer names the ingester's
/// `--ingester.id`, so a querier can tell two ingesters sharing one apart.
struct IngesterRoutes: Sendable {
    let ingester: any IngesterHeads
    let connect: ConnectUnary
    let config: ServerConfig
    let logger: Logger

    func register(on router: Router<KilnRequestContext>) {
        router.post(RouterPath(IngesterClient.path)) { [connect] request, _ in
            await connect.serve(request, Kiln_Ingester_V1_SelectHeadRequest.self) { message, tenant in
                try await selectHead(message, tenant: tenant, timeout: try QuerierRoutes.timeout(request))
            }
        }
    }

    func selectHead(_ message: Kiln_Ingester_V1_SelectHeadRequest, tenant: String, timeout: Duration?) async throws
        -> Kiln_Ingester_V1_SelectHeadResponse
    {
        let request = try HeadRequest(proto: message)
        let known = Set(message.knownBlocks).union(message.coveredBlocks)
        var query = QueryRunner.query(tenant, of: ingester, logger: logger)
        query.budget = QueryBudget(timeout: config.queryTimeout(client: timeout), maxSamples: config.queryMaxSamples)
        var stale: [String] = []
        let extracts = try await QueryRunner.translatingErrors(logger: logger) {
            try await query.extracts(for: request) { block in
                guard !known.contains(block.ulid) else { return false }
                guard ingester.isShipped(block) else { return true }
                stale.append(block.ulid)
                return false
            }
        }
        var out = Kiln_Ingester_V1_SelectHeadResponse()
        out.extracts = extracts.map(\.proto)
        out.staleBlocks = stale
        out.ingesterID = ingester.id ?? ""
        return out
    }
}
