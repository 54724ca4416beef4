import ArgumentParser
import Foundation
import KilnServer

/// The querier's flags: the ingesters whose heads it asks, and what one query may spend.
struct QuerierOptions: ParsableArguments {
    @Option(
        name: .customLong("querier.ingesters"),
        help:
            "--target=querier: the ingesters to ask for their heads on every query, comma-separated base URLs (http://host:4040; http://user:password@host:4040 with basic auth): every ingester shipping to the bucket."
    )
    var querierIngesters = ""

    @Option(name: .customLong("query.timeout"), help: "Longest a query may run (s, m, h); a client's shorter Connect-Timeout-Ms wins.")
    var queryTimeout = "60s"

    @Option(
        name: .customLong("query.max-samples"), help: "Most samples one flame graph or profile merge may read; larger queries get 400 and a message.")
    var queryMaxSamples = ServerConfig().queryMaxSamples

    func validate() throws {
        guard try timeout() > .zero, queryMaxSamples > 0 else { throw ValidationError("--query.timeout and --query.max-samples must be positive") }
        _ = try ingesterAddresses()
    }

    func timeout() throws -> Duration { .nanoseconds(try FlagValue.duration(queryTimeout, flag: "--query.timeout")) }

    /// `--querier.ingesters` as base URLs without a trailing slash.
    /// - Throws: for an address that is not an http(s) URL.
    func ingesterAddresses() throws -> [String] {
        try querierIngesters.split(separator: ",").map { part in
            var a = part.trimmingCharacters(in: .whitespaces)
            while a.hasSuffix("/") { a.removeLast() }
            guard let url = URL(string: a), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw ValidationError("--querier.ingesters: \"\(a)\" is not an http:// or https:// URL")
            }
            return a
        }
    }
}
