import Foundation
import HummingbirdBcrypt
import KilnProto
import KilnServer
import KilnTestSupport
import Testing

/// Tenants behind basic auth, in process (`--auth.multitenancy-enabled`,
/// `--auth.basic.htpasswd-file`): tenant A never sees tenant B's profile
/// types, labels, series, flame graphs or blocks, in the head or after a
/// cut, and each tenant's blocks live under its own directory.
@Suite struct TenantTests {
    @Test func tenantsAreIsolated() async throws {
        var config = ServerConfig()
        config.users = ["alice": Bcrypt.hash("s3cret", cost: 4)]
        config.multitenancy = true
        try await InProcessServer.withStorage(config: config) { server, blocks in
            let alice = ("Authorization", "Basic " + Data("alice:s3cret".utf8).base64EncodedString())
            let a = server.adding([alice]).tenant("team-a")
            let b = server.adding([alice]).tenant("team-b")
            let cpuType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
            try await a.push([([("__name__", "process_cpu"), ("service_name", "a-svc")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
            try await b.push([([("__name__", "memory"), ("service_name", "b-svc")], [try TestData.bytes("pprof/go-heap.pb.gz")])])

            func expectIsolated(_ when: String) async throws {
                #expect(try await a.profileTypes().allSatisfy { $0.hasPrefix("process_cpu:") }, "\(when)")
                #expect(try await b.profileTypes().allSatisfy { $0.hasPrefix("memory:") }, "\(when)")
                var values = Types_V1_LabelValuesRequest()
                values.name = "service_name"
                values.start = ConnectClient.allTime.start
                values.end = ConnectClient.allTime.end
                let aValues: Types_V1_LabelValuesResponse = try await a.call("/querier.v1.QuerierService/LabelValues", values)
                let bValues: Types_V1_LabelValuesResponse = try await b.call("/querier.v1.QuerierService/LabelValues", values)
                #expect(aValues.names == ["a-svc"] && bValues.names == ["b-svc"], "\(when)")
                var seriesRequest = Querier_V1_SeriesRequest()
                seriesRequest.start = ConnectClient.allTime.start
                seriesRequest.end = ConnectClient.allTime.end
                let series: Querier_V1_SeriesResponse = try await b.call("/querier.v1.QuerierService/Series", seriesRequest)
                #expect(!series.labelsSet.isEmpty && series.labelsSet.allSatisfy { !$0.labels.contains { $0.value == "a-svc" } }, "\(when)")
                #expect(try await a.flameGraph(cpuType).total == 9_910_000_000, "\(when)")
                #expect(try await b.flameGraph(cpuType).total == 0, "\(when): B sees none of A's CPU profile")
                #expect(try await b.flameGraph(cpuType, #"{service_name="a-svc"}"#).total == 0, "\(when)")
            }
            try await expectIsolated("in the heads")
            #expect(try await server.post("/ingester/flush", headers: [alice]).status == 200)
            try await expectIsolated("in blocks")
            for tenant in ["team-a", "team-b"] {
                let cut = try FileManager.default.contentsOfDirectory(atPath: blocks.appendingPathComponent(tenant).path)
                #expect(cut.count == 1, "\(tenant): \(cut)")
            }
        }
    }
}
