import Foundation
import KilnPprof
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

/// Connect's JSON as connect-go reads it (protojson with DiscardUnknown):
/// proto and camelCase field names alike, unknown fields and unknown enum
/// names ignored; binary requests with fields this proto lacks accepted.
@Suite struct JSONToleranceTests {
    static let cpuType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

    @Test func newerClientsRequestsAreRead() async throws {
        try await InProcessServer().run { server in
            let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
            try await server.push([([("__name__", "process_cpu"), ("service_name", "app")], [cpu])])
            let expected = try PprofDecoder.decode(cpu).total(ofType: 1)
            let json = [("Content-Type", "application/json")]
            let names = [
                // camelCase, as protojson writes it
                #"{"profileTypeID":"\#(Self.cpuType)","labelSelector":"{}","start":"1","end":"4102444800000","step":3600,"futureField":{"x":1}}"#,
                // the proto names, as protojson also reads them
                #"{"profile_typeID":"\#(Self.cpuType)","label_selector":"{}","start":1,"end":4102444800000,"step":3600,"aggregation":"TIME_SERIES_AGGREGATION_TYPE_FROM_THE_FUTURE"}"#,
            ]
            for body in names {
                let r = try await server.post("/querier.v1.QuerierService/SelectSeries", headers: json, body: Array(body.utf8))
                #expect(r.status == 200, "\(body): \(r.text)")
                let reply = try Querier_V1_SelectSeriesResponse(jsonUTF8Bytes: r.body)
                #expect(reply.series.flatMap(\.points).reduce(0) { $0 + $1.value } == Double(expected), "\(body)")
            }
            // Binary with a field number this proto does not know (a newer client's frame filter, say).
            var request = Querier_V1_SelectMergeStacktracesRequest()
            request.profileTypeID = Self.cpuType
            request.labelSelector = "{}"
            (request.start, request.end) = ConnectClient.allTime
            var bytes: [UInt8] = try request.serializedBytes()
            bytes += [0xFA, 0x3E, 0x03, 0x0A, 0x01, 0x78]  // field 1999, length-delimited, 3 bytes
            let r = try await server.post(
                "/querier.v1.QuerierService/SelectMergeStacktraces", headers: [("Content-Type", "application/proto")], body: bytes)
            #expect(r.status == 200, "\(r.text)")
            #expect(try Querier_V1_SelectMergeStacktracesResponse(serializedBytes: r.body).flamegraph.total == expected)
        }
    }
}
