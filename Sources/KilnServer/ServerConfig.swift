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

    public init() {}
}
