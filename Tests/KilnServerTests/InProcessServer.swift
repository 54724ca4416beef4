import Foundation
import HTTPTypes
import HummingbirdTesting
import KilnCompression
import KilnProto
import KilnServer
import KilnStorage
import Logging
import NIOCore
import SwiftProtobuf
import Testing

/// Kiln's HTTP application in the test's own process, over an ingester with
/// no WAL (or, `withStorage`, one with a WAL and blocks in a temporary
/// directory): requests go straight to the router (HummingbirdTesting's
/// `.router` framework), with no socket and no binary. For what the routes
/// do with a request; what only a process shows (signals, crashes,
/// restarts, real agents) stays with `KilnServerProcess`.
struct InProcessServer {
    var config = ServerConfig()
    var ingester = Ingester()

    /// Runs `body` against the application built from `config`; its result.
    func run<T: Sendable>(_ body: @Sendable (Client) async throws -> T) async throws -> T {
        let parts = KilnApplication.build(config: config, logger: Logger(label: "kiln-test"), store: .ingester(ingester))
        return try await parts.application.test(.router) { client in try await body(Client(client: client)) }
    }

    /// Runs `body` against the application over an ingester that writes a
    /// WAL and cuts blocks (`/ingester/flush`) under a fresh temporary
    /// directory, removed afterwards; `body` also gets the blocks' directory.
    static func withStorage(config: ServerConfig = ServerConfig(), _ body: @Sendable (Client, URL) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-inprocess-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let blocks = dir.appendingPathComponent("blocks")
        let ingester = try await Ingester(
            walDirectory: dir.appendingPathComponent("wal").path, blockDirectory: blocks.path, logger: Logger(label: "kiln-test"))
        defer { ingester.close() }
        try await InProcessServer(config: config, ingester: ingester).run { client in try await body(client, blocks) }
    }

    /// A response as the router answered it.
    struct Response: Sendable {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }

        /// The first value of header `name` (case-insensitive).
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
    }

    struct Client: Sendable {
        let client: any TestClientProtocol
        /// Sent with every request, before the request's own headers: a
        /// tenant's `X-Scope-OrgID`, a user's `Authorization`.
        var headers: [(String, String)] = []

        /// This client with `headers` also on every request.
        func adding(_ headers: [(String, String)]) -> Client {
            var c = self
            c.headers += headers
            return c
        }

        /// This client with `X-Scope-OrgID: tenant` on every request.
        func tenant(_ tenant: String) -> Client { adding([("X-Scope-OrgID", tenant)]) }

        func request(_ method: HTTPRequest.Method, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) async throws -> Response {
            var fields = HTTPFields()
            for (name, value) in self.headers + headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            return try await client.execute(uri: path, method: method, headers: fields, body: ByteBuffer(bytes: body)) { r in
                Response(
                    status: r.status.code, headers: r.headers.map { ($0.name.rawName, $0.value) }, body: Array(r.body.readableBytesView))
            }
        }

        func post(_ path: String, headers: [(String, String)] = [], body: [UInt8] = []) async throws -> Response {
            try await request(.post, path, headers: headers, body: body)
        }

        func get(_ path: String, headers: [(String, String)] = []) async throws -> Response {
            try await request(.get, path, headers: headers)
        }

        /// A Connect unary call (binary proto, gzip accepted) as Grafana's
        /// data source sends it; throws `ConnectClient.CallError` unless it succeeds.
        func call<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(
            _ path: String, _ request: Req, as: Res.Type = Res.self
        ) async throws -> Res {
            let connect = [("Content-Type", "application/proto"), ("Connect-Protocol-Version", "1"), ("Accept-Encoding", "gzip")]
            let r = try await post(path, headers: connect, body: try request.serializedBytes())
            guard r.status == 200 else { throw ConnectClient.CallError(status: r.status, body: r.text) }
            #expect(r.header("Content-Type") == "application/proto", "\(path)")
            return try Res(serializedBytes: r.header("Content-Encoding") == "gzip" ? try Gzip.decompress(r.body) : r.body)
        }
    }
}

/// The calls of `ConnectClient`, in process.
extension InProcessServer.Client {
    func push(_ series: [(labels: [(String, String)], profiles: [[UInt8]])]) async throws {
        let _: Push_V1_PushResponse = try await call("/push.v1.PusherService/Push", ConnectClient.pushRequest(series))
    }

    func profileTypes() async throws -> [String] {
        let r: Querier_V1_ProfileTypesResponse = try await call("/querier.v1.QuerierService/ProfileTypes", Querier_V1_ProfileTypesRequest())
        return r.profileTypes.map(\.id)
    }

    func flameGraph(
        _ type: String, _ selector: String = "{}", start: Int64 = ConnectClient.allTime.start, end: Int64 = ConnectClient.allTime.end,
        maxNodes: Int64? = nil
    ) async throws
        -> Querier_V1_FlameGraph
    {
        let r: Querier_V1_SelectMergeStacktracesResponse = try await call(
            "/querier.v1.QuerierService/SelectMergeStacktraces",
            ConnectClient.flameGraphRequest(type, selector, start: start, end: end, maxNodes: maxNodes))
        return r.flamegraph
    }

    func series(
        _ type: String, _ selector: String = "{}", start: Int64, end: Int64, step: Double, groupBy: [String] = []
    ) async throws -> [Types_V1_Series] {
        let r: Querier_V1_SelectSeriesResponse = try await call(
            "/querier.v1.QuerierService/SelectSeries",
            ConnectClient.seriesRequest(type, selector, start: start, end: end, step: step, groupBy: groupBy))
        return r.series
    }

    /// The error of a push that must fail (nil: it succeeded).
    func refusal(_ series: [(labels: [(String, String)], profiles: [[UInt8]])]) async throws -> ConnectClient.CallError? {
        do {
            try await push(series)
            return nil
        } catch let e as ConnectClient.CallError {
            return e
        }
    }
}
