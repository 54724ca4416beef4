import ArgumentParser
import Hummingbird
import KilnServer
import Logging

/// The `kiln` daemon: every role in one process (`--target=all`, the only
/// target so far), serving Pyroscope's ingest and query APIs over HTTP.
@main
struct Kiln: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln",
        abstract: "Kiln, a continuous-profiling database that speaks Pyroscope's APIs.",
        discussion: """
            Listens on 0.0.0.0:4040 by default, like Pyroscope: point Pyroscope agents \
            (server address http://HOST:4040) and Grafana's Pyroscope data source at it.
            Data is held in memory in this version.
            """
    )

    @Option(name: .customLong("server.http-listen-address"), help: "Address to listen on.")
    var address = ServerConfig().host

    @Option(name: .customLong("server.http-listen-port"), help: "Port to listen on.")
    var port = ServerConfig().port

    @Option(name: .customLong("server.max-request-body-bytes"), help: "Largest request body accepted; larger ones get HTTP 413.")
    var maxRequestBodyBytes = ServerConfig().maxRequestBodyBytes

    @Option(name: .customLong("server.max-decompressed-bytes"), help: "Largest decompressed body or pprof payload accepted.")
    var maxDecompressedBytes = ServerConfig().maxDecompressedBytes

    @Option(name: .customLong("log.level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log.level: unknown level \"\(logLevel)\"") }
        guard (0...65535).contains(port) else { throw ValidationError("--server.http-listen-port: \(port) is not a TCP port") }
        guard maxRequestBodyBytes > 0, maxDecompressedBytes > 0 else { throw ValidationError("body limits must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "kiln")
        logger.logLevel = Logger.Level(rawValue: logLevel)!
        var config = ServerConfig()
        config.host = address
        config.port = port
        config.maxRequestBodyBytes = maxRequestBodyBytes
        config.maxDecompressedBytes = maxDecompressedBytes
        let app = KilnApplication.build(config: config, logger: logger)
        try await app.runService()
    }
}
