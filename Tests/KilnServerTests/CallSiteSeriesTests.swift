import Foundation
import KilnPprof
import KilnProto
import KilnTestSupport
import Testing

/// `SelectSeries` with `stack_trace_selector.call_site`: a function's own
/// time series (the Drilldown app's and the data source's), point by point
/// the samples under that call site, computed here from the pushed pprof.
@Suite struct CallSiteSeriesTests {
    static let cpuType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

    /// Each sample's stack root first, as function names (inlined frames caller first).
    static func stacks(_ p: Profile) -> [(names: [String], value: Int64)] {
        (0..<p.sampleCount).map { i in
            let names = p.locations(ofSample: i).reversed().flatMap { l in
                p.lines(ofLocation: Int(l)).reversed().map { p.strings[p.functions[Int($0.functionIndex)].name] }
            }
            return (Array(names), p.value(ofSample: i, type: 1))
        }
    }

    @Test func aCallSitesSeriesCountsOnlyItsSubtree() async throws {
        try await InProcessServer().run { server in
            var profile = try PprofDecoder.decode(try TestData.bytes("pprof/go-cpu.pb.gz"))
            let stacks = Self.stacks(profile)
            // The deepest prefix the first sample shares with others, two frames down: a real subtree.
            let prefix = Array(stacks[0].names.prefix(2))
            let under = stacks.filter { $0.names.starts(with: prefix) }.reduce(0) { $0 + $1.value }
            let total = stacks.reduce(0) { $0 + $1.value }
            #expect(under > 0 && under < total, "\(prefix)")
            // Two services, each pushed at two times a minute apart.
            let t0: Int64 = 1_700_000_000_000_000_000
            for (service, times) in [("a", [t0, t0 + 60_000_000_000]), ("b", [t0 + 60_000_000_000])] {
                for t in times {
                    profile.timeNanos = t
                    try await server.push([([("__name__", "process_cpu"), ("service_name", service)], [PprofEncoder.encode(profile)])])
                }
            }
            var request = ConnectClient.seriesRequest(
                Self.cpuType, "{}", start: t0 / 1_000_000 - 1000, end: t0 / 1_000_000 + 120_000, step: 30, groupBy: ["service_name"])
            request.stackTraceSelector.callSite = prefix.map {
                var l = Types_V1_Location()
                l.name = $0
                return l
            }
            let r: Querier_V1_SelectSeriesResponse = try await server.call("/querier.v1.QuerierService/SelectSeries", request)
            let bySeries = Dictionary(
                uniqueKeysWithValues: r.series.map { s in
                    (s.labels.first { $0.name == "service_name" }!.value, s.points.map(\.value))
                })
            #expect(bySeries["a"] == [Double(under), Double(under)], "\(r)")
            #expect(bySeries["b"] == [Double(under)], "\(r)")
            // A call site nothing runs under: points of 0, as Pyroscope answers.
            request.stackTraceSelector.callSite = [Types_V1_Location.with { $0.name = "no.such.function" }]
            let none: Querier_V1_SelectSeriesResponse = try await server.call("/querier.v1.QuerierService/SelectSeries", request)
            #expect(none.series.flatMap(\.points).allSatisfy { $0.value == 0 }, "\(none)")
            // go_pgo is refused clearly.
            request.stackTraceSelector.goPgo = Types_V1_GoPGO()
            let pgo = try await server.post(
                "/querier.v1.QuerierService/SelectSeries", headers: [("Content-Type", "application/proto")], body: try request.serializedBytes())
            #expect(pgo.status == 400 && pgo.text.contains("go_pgo"), "\(pgo.text)")
        }
    }
}
