import KilnCompression
import KilnCurl
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

/// A Connect unary client (binary proto), as Grafana's data source calls Kiln.
struct ConnectClient {
    let server: KilnServerProcess
    var tenant: String?
    /// An `Authorization` header sent with every call.
    var authorization: String?

    struct CallError: Error, CustomStringConvertible {
        let status: Int
        let body: String
        var description: String { "HTTP \(status): \(body)" }
    }

    func call<Req: SwiftProtobuf.Message, Res: SwiftProtobuf.Message>(_ path: String, _ request: Req, as: Res.Type = Res.self) throws -> Res {
        var headers = [("Content-Type", "application/proto"), ("Connect-Protocol-Version", "1"), ("Accept-Encoding", "gzip")]
        if let tenant { headers.append(("X-Scope-OrgID", tenant)) }
        if let authorization { headers.append(("Authorization", authorization)) }
        let r = try server.post(path, headers: headers, body: try request.serializedBytes())
        guard r.status == 200 else { throw CallError(status: r.status, body: r.text) }
        #expect(r.header("Content-Type") == "application/proto")
        var body = r.body
        if r.header("Content-Encoding") == "gzip" { body = try Gzip.decompress(body) }
        return try Res(serializedBytes: body)
    }

    func push(_ series: [(labels: [(String, String)], profiles: [[UInt8]])]) throws {
        let _: Push_V1_PushResponse = try call("/push.v1.PusherService/Push", Self.pushRequest(series))
    }

    static func pushRequest(_ series: [(labels: [(String, String)], profiles: [[UInt8]])]) -> Push_V1_PushRequest {
        var req = Push_V1_PushRequest()
        req.series = series.map { s in
            var rs = Push_V1_RawProfileSeries()
            rs.labels = s.labels.map {
                var l = Types_V1_LabelPair()
                l.name = $0.0
                l.value = $0.1
                return l
            }
            rs.samples = s.profiles.map {
                var x = Push_V1_RawSample()
                x.rawProfile = .init($0)
                x.id = "00000000-0000-0000-0000-000000000001"
                return x
            }
            return rs
        }
        return req
    }

    func profileTypes() throws -> [String] {
        let r: Querier_V1_ProfileTypesResponse = try call("/querier.v1.QuerierService/ProfileTypes", Querier_V1_ProfileTypesRequest())
        return r.profileTypes.map(\.id)
    }

    func flameGraph(
        _ type: String, _ selector: String = "{}", start: Int64 = ConnectClient.allTime.start, end: Int64 = ConnectClient.allTime.end,
        maxNodes: Int64? = nil
    ) throws
        -> Querier_V1_FlameGraph
    {
        let req = Self.flameGraphRequest(type, selector, start: start, end: end, maxNodes: maxNodes)
        let r: Querier_V1_SelectMergeStacktracesResponse = try call("/querier.v1.QuerierService/SelectMergeStacktraces", req)
        return r.flamegraph
    }

    /// A range holding every profile a test pushes (Unix ms, 1970 to 2100): the query
    /// methods require one, as Pyroscope's do.
    static let allTime = (start: Int64(1), end: Int64(4_102_444_800_000))

    static func flameGraphRequest(_ type: String, _ selector: String, start: Int64, end: Int64, maxNodes: Int64? = nil)
        -> Querier_V1_SelectMergeStacktracesRequest
    {
        var req = Querier_V1_SelectMergeStacktracesRequest()
        req.profileTypeID = type
        req.labelSelector = selector
        req.start = start
        req.end = end
        if let maxNodes { req.maxNodes = maxNodes }
        return req
    }

    func series(_ type: String, _ selector: String = "{}", start: Int64, end: Int64, step: Double, groupBy: [String] = []) throws -> [Types_V1_Series]
    {
        let r: Querier_V1_SelectSeriesResponse = try call(
            "/querier.v1.QuerierService/SelectSeries", Self.seriesRequest(type, selector, start: start, end: end, step: step, groupBy: groupBy))
        return r.series
    }

    static func seriesRequest(_ type: String, _ selector: String, start: Int64, end: Int64, step: Double, groupBy: [String])
        -> Querier_V1_SelectSeriesRequest
    {
        var req = Querier_V1_SelectSeriesRequest()
        req.profileTypeID = type
        req.labelSelector = selector
        req.start = start
        req.end = end
        req.step = step
        req.groupBy = groupBy
        return req
    }
}
