import Foundation
import KilnCompression
import KilnIngest
import KilnTestSupport
import Testing

/// pyroscope-java's upload end to end: a JDK recording made on this machine
/// (`JDKRecording`), gzipped into the multipart `jfr` field as the agent
/// sends it, stored and answered as flame graphs; a corrupt one refused with
/// its offset and nothing of it stored.
@Suite struct JFRIngestEndToEndTests {
    @Test func aFreshJDKRecordingIsStoredAndAnswered() async throws {
        let dir = TestData.scratchDirectory("kiln-jfr-e2e")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try JDKRecording.record(milliseconds: 1_500, in: dir)
        let recording = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let now = Int64(Date().timeIntervalSince1970)
        let query = "/ingest?name=javaapp%7Benv%3Dtest%7D&format=jfr&from=\(now - 10)&until=\(now)&spyName=javaspy&sampleRate=100"
        // What the converter makes of it, the server's answers' witness.
        let request = try IngestRequest(
            query: ["name": "javaapp{env=test}", "format": "jfr", "from": "\(now - 10)", "until": "\(now)", "spyName": "javaspy"], nowNanos: 0)
        let expected = try IngestConverter.convert(request, contentType: nil, body: recording)
        var expectedTotals: [String: Int64] = [:]
        for p in expected { for s in p.series { expectedTotals[s.profileType.id, default: 0] += p.profile.total(ofType: s.sampleType) } }
        let totals = expectedTotals

        try await InProcessServer().run { client in
            let (ct, body) = MultipartBody.make([("jfr", "jfr", try Gzip.compress(recording))])
            let r = try await client.post(query, headers: [("Content-Type", ct)], body: body)
            #expect(r.status == 200, "\(r.text)")
            let types = Set(try await client.profileTypes())
            for type in [
                "process_cpu:cpu:nanoseconds:cpu:nanoseconds", "memory:alloc_sample_bytes:bytes:space:bytes", "mutex:delay:nanoseconds:mutex:count",
            ] {
                #expect(types.contains(type))
                let g = try await client.flameGraph(type, #"{service_name="javaapp",env="test"}"#, start: (now - 60) * 1000, end: (now + 60) * 1000)
                #expect(g.total == totals[type] && g.total > 0, "\(type)")
            }
            let cpu = try await client.flameGraph(
                "process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="javaapp"}"#, start: (now - 60) * 1000, end: (now + 60) * 1000)
            let nodes = try FlameGraphDecoder.decode(names: cpu.names, levels: cpu.levels.map(\.values))
            #expect(nodes.keys.contains { $0.hasSuffix("Workload.burn;Workload.fib") })

            // Corrupt: 422 naming the byte, and nothing of it stored.
            var bad = recording
            bad.removeLast(bad.count / 3)
            let refused = try await client.post(
                "/ingest?name=brokenapp&format=jfr&from=\(now - 10)&until=\(now)", headers: [("Content-Type", "application/octet-stream")], body: bad)
            #expect(refused.status == 422 && refused.text.contains("JFR at byte"), "\(refused.status) \(refused.text)")
            let broken = try await client.flameGraph(
                "process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="brokenapp"}"#, start: (now - 60) * 1000, end: (now + 60) * 1000)
            #expect(broken.total == 0)
        }
    }
}
