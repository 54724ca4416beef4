import Hummingbird
import KilnStorage
import Logging

/// Builds Kiln's HTTP application: every route on one Hummingbird router.
///
/// Routes: Connect `push.v1` and `querier.v1`, legacy `/ingest`, and
/// `GET /ready` for orchestrators and tests.
public enum KilnApplication {
    public static func build(config: ServerConfig, logger: Logger, ingester: Ingester) -> some ApplicationProtocol {
        let router = Router()
        let connect = ConnectUnary(config: config, logger: logger)
        PushRoutes(ingester: ingester, connect: connect, logger: logger).register(on: router)
        QuerierRoutes(heads: ingester.heads, connect: connect).register(on: router)
        router.get("/ready") { _, _ in "ready\n" }
        return Application(
            router: router,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "kiln"),
            logger: logger
        )
    }
}
