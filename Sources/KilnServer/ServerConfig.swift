/// What the HTTP server needs to know to run.
public struct ServerConfig: Sendable {
    /// Address to listen on; Pyroscope listens on all interfaces by default.
    public var host = "0.0.0.0"
    /// Port to listen on: 4040, Pyroscope's default, so agents and Grafana
    /// configured for Pyroscope work unchanged.
    public var port = 4040
    /// Largest request body accepted, compressed or not: 16 MiB. A Go CPU profile
    /// is ~10 KB gzipped and agents push every 10–15 s; larger bodies get 413.
    public var maxRequestBodyBytes = 16 << 20
    /// Largest decompressed body or pprof payload: 64 MiB (bounds a "zip bomb").
    public var maxDecompressedBytes = 64 << 20

    /// Longest a query may run; a client's shorter `Connect-Timeout-Ms` wins.
    /// Grafana gives up on a data-source request after 30 s by default.
    public var queryTimeout: Duration = .seconds(60)
    /// Most samples one flame graph or profile merge may read: 2 G is about
    /// three weeks of the reference workload, a few seconds of decoding.
    public var queryMaxSamples = 2_000_000_000

    /// The deadline of a query whose client asked for `client` (nil: none): the shorter one.
    func queryTimeout(client: Duration?) -> Duration { client.map { min($0, queryTimeout) } ?? queryTimeout }

    /// Multi-tenancy: when on, every request must name its tenant in
    /// `X-Scope-OrgID` (401 otherwise); when off, a request without it is the
    /// `anonymous` tenant's. Off by default, as in Pyroscope.
    public var multitenancy = false
    /// Basic-auth users: name → bcrypt hash (`Htpasswd`). Empty: no auth.
    public var users: [String: String] = [:]
    /// Bearer tokens accepted besides the users (`Authorization: Bearer <token>`). Empty: none.
    public var bearerTokens: Set<String> = []

    /// Per-tenant limits on ingestion and queries.
    public var limits = TenantLimits()

    /// Pull mode: the targets to scrape (the config file's `scrape_configs`).
    public var scrapes: [ScrapeConfig] = []

    /// Self-profiling: Kiln's own CPU profile stored as service `kiln` of
    /// this tenant; nil: off (the default, as the sampler costs a signal per
    /// 10 ms of CPU).
    public var selfProfilingTenant: String?
    /// Samples per second of CPU time: 100, Go's default rate.
    public var selfProfilingHz = 100
    /// Bytes allocated per heap sample on average: 512 KiB, Go's
    /// `runtime.MemProfileRate`; 0: no heap profile.
    public var selfProfilingHeapRate = 512 << 10
    /// How often the samples are stored as one profile: 10 s, an agent's upload interval.
    public var selfProfilingInterval: Duration = .seconds(10)

    /// The modules this process runs (`--target`).
    public var modules: Set<Module> = Module.all

    /// A querier's ingesters: base URLs (`http://host:port`, credentials in
    /// the URL when they need basic auth) asked for their heads on every query.
    public var ingesters: [String] = []

    public init() {}

    /// An ingester's `address` with the password of its user info replaced,
    /// for logs and error messages.
    public static func redacted(_ address: String) -> String {
        guard let at = address.firstIndex(of: "@"), let scheme = address.range(of: "://"),
            let colon = address[scheme.upperBound..<at].firstIndex(of: ":")
        else { return address }
        return String(address[..<address.index(after: colon)]) + "***" + String(address[at...])
    }
}
