import Hummingbird
import KilnQuery
import KilnStorage
import Logging
import Prometheus
import ServiceLifecycle

/// Builds Kiln's HTTP application: the routes of the modules this process
/// runs (`config.modules`) on one Hummingbird router, and the services that
/// store through its push path.
///
/// - distributor: Connect `push.v1`, legacy `/ingest`, Parca's ingest
///   (gRPC, gRPC-Web and Connect), OTLP profiles (HTTP and gRPC); the `Scraper` (scrape configs) and the
///   `SelfProfiler`, services beside the server, stored through the same
///   path (and the same rate limits).
/// - ingester: `/ingester/flush` (cut the heads into blocks now) and the
///   internal head API its queriers call (`IngesterRoutes`).
/// - querier: Connect `querier.v1`, the legacy render and label APIs,
///   Parca's query service over gRPC-Web, the tenant settings and feature
///   flags Grafana's Drilldown app reads (`settings`: in the bucket, or the
///   data directory, as the daemon wires it; in memory by default).
/// - always: `GET /ready` for orchestrators and tests, `GET /healthz`,
///   `GET /metrics` (Prometheus text).
///
/// With users or bearer tokens configured, every route but `/ready` needs
/// one of them (`AuthMiddleware`).
///
/// One port serves HTTP/1.1 and cleartext HTTP/2 (`CleartextHTTPChannel`),
/// so native gRPC calls (Parca Agent, OTLP exporters) reach the same router.
public enum KilnApplication {
    /// The HTTP application and the services beside it.
    public struct Parts: Sendable {
        /// The HTTP server (in tests, driven without a socket by HummingbirdTesting).
        public let application: any ApplicationProtocol
        /// The scraper and the self-profiler, when configured.
        public let services: [any Service]

        /// For the process's group: the application last, so that on shutdown it
        /// stops accepting and answers what is in flight before anything it calls stops.
        public var all: [any Service] { services + [application] }
    }

    public static func build(
        config: ServerConfig, logger: Logger, store: ProcessStore,
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        settings: TenantSettingsStore = TenantSettingsStore(store: MemoryObjectStore())
    ) -> Parts {
        let router = Router(context: KilnRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware())
        if !config.users.isEmpty || !config.bearerTokens.isEmpty {
            router.add(middleware: AuthMiddleware(users: config.users, bearerTokens: config.bearerTokens))
        }
        let connect = ConnectUnary(config: config, logger: logger)
        var services: [any Service] = []
        if case .ingester(let ingester) = store {
            let push = PushRoutes(sink: ingester, connect: connect, limiter: IngestionRateLimiter(), logger: logger)
            if config.modules.contains(.distributor) {
                push.register(on: router)
                ParcaIngestRoutes(push: push, connect: connect, logger: logger).register(on: router)
                OTLPRoutes(push: push, connect: connect, logger: logger).register(on: router)
                services = Self.services(config, push: push, logger: logger)
            }
            if config.modules.contains(.ingester) {
                AdminRoutes(heads: ingester, logger: logger).register(on: router)
                IngesterRoutes(ingester: ingester, connect: connect, config: config, logger: logger).register(on: router)
            }
        }
        if config.modules.contains(.querier) {
            QuerierRoutes(catalog: store.catalog, connect: connect, config: config, logger: logger).register(on: router)
            LegacyRoutes(catalog: store.catalog, config: config, logger: logger).register(on: router)
            ParcaRoutes(catalog: store.catalog, connect: connect, config: config, logger: logger).register(on: router)
            SettingsRoutes(settings: settings, connect: connect).register(on: router)
        }
        router.get("/ready") { _, _ in "ready\n" }
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.emitToBuffer()))
            )
        }
        MethodNotAllowedRoutes.register(on: router)
        let application = Application(
            router: router,
            server: .http1AndH2C,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "kiln"),
            logger: logger
        )
        return Parts(application: application, services: services)
    }

    /// The distributor's services: the scraper and the self-profiler, when configured.
    static func services(_ config: ServerConfig, push: PushRoutes, logger: Logger) -> [any Service] {
        var out: [any Service] = []
        if !config.scrapes.isEmpty { out.append(Scraper(configs: config.scrapes, push: push, logger: logger)) }
        if let tenant = config.selfProfilingTenant {
            out.append(
                SelfProfiler(
                    push: push, tenant: tenant, hz: config.selfProfilingHz, interval: config.selfProfilingInterval,
                    heapRate: config.selfProfilingHeapRate, logger: logger))
        }
        return out
    }
}
