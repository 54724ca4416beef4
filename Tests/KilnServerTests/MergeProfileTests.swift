import Foundation
import KilnPprof
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

/// `SelectMergeProfile`, in process, read by the real `go tool pprof`:
/// the same Go CPU profile pushed by two services, one copy in a block
/// (flushed) and one in the head, merges to twice the reference figures of
/// `go tool pprof -top` on the original (testdata/pprof/go-cpu.top.txt).
@Suite struct MergeProfileTests {
    @Test func goToolPprofReadsTheMergedProfile() async throws {
        try await InProcessServer.withStorage { client, _ in try await Self.goToolPprofReadsTheMergedProfile(client) }
    }

    static func goToolPprofReadsTheMergedProfile(_ client: InProcessServer.Client) async throws {
        let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
        try await client.push([([("__name__", "process_cpu"), ("service_name", "a")], [cpu])])
        #expect(try await client.post("/ingester/flush", body: []).status == 200)
        try await client.push([([("__name__", "process_cpu"), ("service_name", "b")], [cpu])])

        var request = Querier_V1_SelectMergeProfileRequest()
        request.profileTypeID = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
        request.labelSelector = "{}"
        request.start = ConnectClient.allTime.start
        request.end = ConnectClient.allTime.end
        let merged: Google_V1_Profile = try await client.call("/querier.v1.QuerierService/SelectMergeProfile", request)
        #expect(merged.sampleType.count == 1)
        // Pyroscope's period for the type (a second for process_cpu), not the pushed one (10 ms).
        #expect(merged.period == 1_000_000_000 && merged.stringTable[Int(merged.defaultSampleType)] == "cpu")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-merged-\(UUID().uuidString).pb")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(try merged.serializedBytes() as [UInt8]).write(to: file)
        let top = try Subprocess.run(["go", "tool", "pprof", "-top", "-nodecount=3", file.path], environment: ["HOME": NSTemporaryDirectory()])
        #expect(top.status == 0, "go tool pprof: \(top.stderr)")
        #expect(top.stdout.contains("19.82s total"), "\(top.stdout)")
        #expect(
            top.stdout.range(of: #"6\.32s\s+31\.89%\s+31\.89%\s+6\.32s\s+31\.89%\s+crypto/sha256\.block"#, options: .regularExpression) != nil,
            "\(top.stdout)")

        // One service only: the original figures.
        request.labelSelector = #"{service_name="b"}"#
        let one: Google_V1_Profile = try await client.call("/querier.v1.QuerierService/SelectMergeProfile", request)
        try Data(try one.serializedBytes() as [UInt8]).write(to: file)
        let single = try Subprocess.run(["go", "tool", "pprof", "-top", "-nodecount=3", file.path], environment: ["HOME": NSTemporaryDirectory()])
        #expect(single.stdout.contains("9.91s total") && single.stdout.contains("crypto/sha256.block"), "\(single.stdout)")

        // Diff of the two services' identical profiles: the same tree on both sides.
        var diff = Querier_V1_DiffRequest()
        diff.left.profileTypeID = request.profileTypeID
        diff.left.labelSelector = #"{service_name="a"}"#
        diff.left.start = ConnectClient.allTime.start
        diff.left.end = ConnectClient.allTime.end
        diff.right = diff.left
        diff.right.labelSelector = #"{service_name="b"}"#
        let d: Querier_V1_DiffResponse = try await client.call("/querier.v1.QuerierService/Diff", diff)
        #expect(d.flamegraph.leftTicks == 9_910_000_000 && d.flamegraph.rightTicks == 9_910_000_000 && d.flamegraph.total == 19_820_000_000)
        var sidesEqual = true
        for level in d.flamegraph.levels {
            let v: [Int64] = level.values
            for i in stride(from: 0, to: v.count, by: 7) where v[i + 1] != v[i + 4] || v[i + 2] != v[i + 5] { sidesEqual = false }
        }
        #expect(sidesEqual, "left and right totals and selves agree node by node")

        // AnalyzeQuery: the profile's four series (three `worker` label values and the unlabelled samples) in the head and in a block, from the index alone.
        var analyze = Querier_V1_AnalyzeQueryRequest()
        analyze.query = request.profileTypeID + "{}"
        analyze.start = ConnectClient.allTime.start
        analyze.end = ConnectClient.allTime.end
        let a: Querier_V1_AnalyzeQueryResponse = try await client.call("/querier.v1.QuerierService/AnalyzeQuery", analyze)
        let scopes = Dictionary(uniqueKeysWithValues: a.queryScopes.map { ($0.componentType, $0) })
        let head = try #require(scopes["Short term storage"])
        let blocks = try #require(scopes["Long term storage"])
        #expect(head.seriesCount == 4 && head.profileCount == 4 && head.sampleCount > 0)
        #expect(
            blocks.blockCount == 1 && blocks.seriesCount == 4 && blocks.sampleCount == head.sampleCount && blocks.profileBytes > 0
                && blocks.indexBytes > 0)
        #expect(a.queryImpact.totalQueriedSeries == 8 && !a.queryImpact.deduplicationNeeded)

        // Nothing selected: an empty profile, 200.
        request.labelSelector = #"{service_name="none"}"#
        let empty: Google_V1_Profile = try await client.call("/querier.v1.QuerierService/SelectMergeProfile", request)
        #expect(empty.sample.isEmpty)
    }
}
