import Foundation
import HTTPTypes
import HummingbirdBcrypt
import KilnServer
import Testing

/// What the router answers before any query or push runs, in process: the
/// routes each target serves, basic auth, tenants, the ingestion rate limit.
@Suite struct RoutingTests {
    static let json = [("Content-Type", "application/json")]
    static let folded = Array("main;work 7\n".utf8)

    /// Each target serves its own modules' routes and 404s on the others'; every target answers /ready, /healthz and /metrics.
    @Test(arguments: ["all", "ingester", "querier"]) func aTargetServesItsModulesRoutes(_ target: String) async throws {
        var config = ServerConfig()
        config.modules = try Module.parseTarget(target)
        try await InProcessServer(config: config).run { server in
            let push = try await server.post("/ingest?name=app", body: Self.folded)
            let query = try await server.post("/querier.v1.QuerierService/ProfileTypes", headers: Self.json, body: Array("{}".utf8))
            let head = try await server.post("/kiln.ingester.v1.IngesterService/SelectHead", headers: [("Content-Type", "application/proto")])
            #expect(push.status == (target == "querier" ? 404 : 200), "\(push.text)")
            #expect(query.status == (target == "ingester" ? 404 : 200), "\(query.text)")
            #expect((head.status == 404) == (target == "querier"), "\(head.status) \(head.text)")
            for path in ["/ready", "/healthz", "/metrics"] { #expect(try await server.get(path).status == 200, "\(path)") }
        }
    }

    /// A method a path does not serve is 405 with `Allow` (Pyroscope's answer), not 404; a path nobody serves stays 404.
    @Test func aWrongMethodIsMethodNotAllowed() async throws {
        try await InProcessServer().run { server in
            for method in [HTTPRequest.Method.get, .put, .delete, .patch] {
                let r = try await server.request(method, "/querier.v1.QuerierService/SelectMergeStacktraces")
                #expect(r.status == 405 && r.header("Allow") == "POST", "\(method) \(r.status)")
            }
            let render = try await server.post("/pyroscope/render?query=x")
            #expect(render.status == 405 && render.header("Allow") == "GET" && render.text.contains("use GET"), "\(render.status) \(render.text)")
            let flush = try await server.request(.delete, "/ingester/flush")
            #expect(flush.status == 405 && flush.header("Allow") == "GET, POST", "\(flush.status)")
            #expect(try await server.get("/no/such/path").status == 404)
            #expect(try await server.post("/querier.v1.QuerierService/NoSuchMethod").status == 404)
            // The right method still reaches the route.
            #expect(try await server.post("/querier.v1.QuerierService/ProfileTypes", headers: Self.json, body: Array("{}".utf8)).status == 200)
        }
    }

    /// Basic auth on every route but /ready; 401 says nothing more; a user's tenant comes from X-Scope-OrgID, required with multi-tenancy.
    @Test func basicAuthAndTenants() async throws {
        var config = ServerConfig()
        config.users = ["alice": Bcrypt.hash("s3cret", cost: 4)]
        config.multitenancy = true
        try await InProcessServer(config: config).run { server in
            let alice = ("Authorization", "Basic " + Data("alice:s3cret".utf8).base64EncodedString())
            #expect(try await server.get("/ready").status == 200)
            for auth in [[], [("Authorization", "Basic " + Data("alice:wrong".utf8).base64EncodedString())], [("Authorization", "Bearer x")]] {
                let r = try await server.post("/ingest?name=app", headers: auth + [("X-Scope-OrgID", "a")], body: Self.folded)
                #expect(r.status == 401 && r.text == "unauthorized\n" && r.header("WWW-Authenticate")?.hasPrefix("Basic") == true, "\(r.text)")
            }
            let noTenant = try await server.post("/ingest?name=app", headers: [alice], body: Self.folded)
            #expect(noTenant.status == 401 && noTenant.text.contains("no org id"), "\(noTenant.status) \(noTenant.text)")
            #expect(try await server.post("/ingest?name=app", headers: [alice, ("X-Scope-OrgID", "a")], body: Self.folded).status == 200)
            let types = try await server.post(
                "/querier.v1.QuerierService/ProfileTypes", headers: Self.json + [alice, ("X-Scope-OrgID", "b")], body: Array("{}".utf8))
            #expect(types.status == 200 && !types.text.contains("process_cpu"), "tenant b sees none of a's data: \(types.text)")
        }
    }

    /// A push over the tenant's burst, or over what the rate has refilled, is 429 naming the limit, and nothing of it is stored.
    @Test func theIngestionRateLimit() async throws {
        var config = ServerConfig()
        config.limits.defaults.ingestionBurstSizeMB = 0.001  // 1048 bytes
        config.limits.defaults.ingestionRateMB = 0.000_001  // ~1 byte/s: nothing refills during the test
        try await InProcessServer(config: config).run { server in
            let push = Array(String(repeating: "main;work;deeper;and;deeper 7\n", count: 20).utf8)  // 600 bytes
            #expect(try await server.post("/ingest?name=first", body: push).status == 200)
            let second = try await server.post("/ingest?name=second", body: push)
            #expect(
                second.status == 429 && second.text.contains("ingestion rate limit exceeded") && second.text.contains("resource_exhausted"),
                "\(second.text)")
            let tooBig = try await server.post("/ingest?name=big", body: push + push)
            #expect(tooBig.status == 429 && tooBig.text.contains("larger than ingestion_burst_size_mb"), "\(tooBig.text)")
            let values = try await server.post(
                "/querier.v1.QuerierService/LabelValues", headers: Self.json,
                body: Array(#"{"name":"service_name","start":1,"end":4102444800000}"#.utf8))
            #expect(values.text.contains("first") && !values.text.contains("second") && !values.text.contains("big"), "\(values.text)")
        }
    }
}
