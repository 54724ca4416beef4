import ArgumentParser
import Foundation
import KilnServer
import Logging

/// The HTTP server's flags: where it listens, what it accepts, who may call it, what it logs.
struct ServerOptions: ParsableArguments {
    @Option(name: .customLong("server.http-listen-address"), help: "Address to listen on; empty: every interface (0.0.0.0).")
    var address = ServerConfig().host

    @Option(name: .customLong("server.http-listen-port"), help: "Port to listen on.")
    var port = ServerConfig().port

    @Option(name: .customLong("server.max-request-body-bytes"), help: "Largest request body accepted; larger ones get HTTP 413.")
    var maxRequestBodyBytes = ServerConfig().maxRequestBodyBytes

    @Option(name: .customLong("server.max-decompressed-bytes"), help: "Largest decompressed body or pprof payload accepted.")
    var maxDecompressedBytes = ServerConfig().maxDecompressedBytes

    @Flag(
        name: .customLong("auth.multitenancy-enabled"),
        help:
            "Require X-Scope-OrgID on every request (401 without it) and keep each tenant's data apart; off: requests without it are the anonymous tenant's."
    )
    var multitenancy = false

    @Option(
        name: .customLong("auth.basic.htpasswd-file"),
        help: "Require HTTP basic auth on every endpoint but /ready, for the users of this htpasswd file (bcrypt hashes: htpasswd -B).")
    var htpasswdFile: String?

    @Option(
        name: .customLong("auth.bearer-token-file"),
        help:
            "Require auth as --auth.basic.htpasswd-file does, accepting `Authorization: Bearer <token>` for the tokens of this file (one a line; # comments), as Parca Agent's --remote-store-bearer-token sends."
    )
    var bearerTokenFile: String?

    @Option(name: .customLong("log.level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard Self.logLevel(logLevel) != nil else { throw ValidationError("--log.level: unknown level \"\(logLevel)\"") }
        guard (0...65535).contains(port) else { throw ValidationError("--server.http-listen-port: \(port) is not a TCP port") }
        guard maxRequestBodyBytes > 0, maxDecompressedBytes > 0 else { throw ValidationError("body limits must be positive") }
        _ = try users()
        _ = try bearerTokens()
    }

    /// The tokens of `--auth.bearer-token-file`, none without it.
    func bearerTokens() throws -> Set<String> {
        guard let path = bearerTokenFile else { return [] }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--auth.bearer-token-file: cannot read \(path)")
        }
        let tokens = Set(
            text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") })
        guard !tokens.isEmpty else { throw ValidationError("--auth.bearer-token-file: \(path) lists no token") }
        return tokens
    }

    /// The basic-auth users of `--auth.basic.htpasswd-file`, none without it.
    func users() throws -> [String: String] {
        guard let path = htpasswdFile else { return [:] }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--auth.basic.htpasswd-file: cannot read \(path)")
        }
        let users: [String: String]
        do { users = try Htpasswd.parse(text, path: path) } catch { throw ValidationError("--auth.basic.htpasswd-file: \(error)") }
        guard !users.isEmpty else { throw ValidationError("--auth.basic.htpasswd-file: \(path) lists no user") }
        return users
    }

    /// swift-log's level for `--log.level`; Pyroscope's `warn` is `warning`.
    static func logLevel(_ name: String) -> Logger.Level? {
        name == "warn" ? .warning : Logger.Level(rawValue: name)
    }
}
