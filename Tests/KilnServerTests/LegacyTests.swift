import Foundation
import KilnPprof
import KilnServer
import KilnTestSupport
import Testing

/// The original Pyroscope HTTP API, in process, as Grafana's legacy client
/// calls it: flamebearer JSON with a timeline and groups, label names
/// and values, apps; bad queries answer 400 with a JSON message.
@Suite struct LegacyTests {
    static func json(_ server: InProcessServer.Client, _ path: String) async throws -> (status: Int, value: Any) {
        let r = try await server.get(path)
        return (r.status, try JSONSerialization.jsonObject(with: Data(r.body), options: [.fragmentsAllowed]))
    }

    @Test func grafanasLegacyCallsAnswer() async throws {
        try await InProcessServer().run { server in
            let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
            try await server.push([
                ([("__name__", "process_cpu"), ("service_name", "a")], [cpu]),
                ([("__name__", "process_cpu"), ("service_name", "b")], [cpu]),
            ])
            let t = try PprofDecoder.decode(cpu).timeNanos / 1_000_000
            let type = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
            let range = "from=\(t - 3_600_000)&until=\(t + 60_000)"

            let (status, body) = try await Self.json(server, "/pyroscope/render?query=\(type)%7B%7D&\(range)&groupBy=service_name&format=json")
            #expect(status == 200)
            let render = try #require(body as? [String: Any])
            let flamebearer = try #require(render["flamebearer"] as? [String: Any])
            #expect(flamebearer["numTicks"] as? Int64 == 19_820_000_000)
            #expect((flamebearer["names"] as? [String])?.contains("crypto/sha256.block") == true)
            #expect((flamebearer["levels"] as? [[Int64]])?.first == [0, 19_820_000_000, 0, 0])
            let metadata = try #require(render["metadata"] as? [String: Any])
            #expect(
                metadata["units"] as? String == "samples" && metadata["sampleRate"] as? Int == 1_000_000_000
                    && metadata["format"] as? String == "single")
            let timeline = try #require(render["timeline"] as? [String: Any])
            let step = try #require(timeline["durationDelta"] as? Int64)
            #expect(step >= 15 && (timeline["startTime"] as? Int64).map { $0 % step == 0 } == true)
            #expect((timeline["samples"] as? [Int64])?.reduce(0, +) == 19_820_000_000)
            let groups = try #require(render["groups"] as? [String: [String: Any]])
            #expect(Set(groups.keys) == ["a", "b"] && groups.values.allSatisfy { ($0["samples"] as? [Int64])?.reduce(0, +) == 9_910_000_000 })

            // One service, through the old server's path.
            let (_, one) = try await Self.json(server, "/render?query=\(type)%7Bservice_name%3D%22a%22%7D&\(range)")
            #expect(((one as? [String: Any])?["flamebearer"] as? [String: Any])?["numTicks"] as? Int64 == 9_910_000_000)

            #expect(try await Self.json(server, "/pyroscope/label-values?label=service_name&\(range)").value as? [String] == ["a", "b"])
            #expect((try await Self.json(server, "/pyroscope/label-values?label=__name__&\(range)").value as? [String])?.contains(type) == true)
            let names = try #require(try await Self.json(server, "/pyroscope/labels?\(range)").value as? [String])
            #expect(names.contains("service_name") && !names.contains("__name__"))
            #expect((try await Self.json(server, "/api/apps").value as? [[String: String]])?.contains { $0["name"] == type } == true)

            let (badStatus, bad) = try await Self.json(server, "/pyroscope/render?query=%7Bservice_name%3D%22a%22%7D&\(range)")
            #expect(badStatus == 400 && (bad as? [String: String])?["message"]?.contains("profile type ID") == true, "\(bad)")
            let missingLabel = try await server.get("/pyroscope/label-values")
            #expect(missingLabel.status == 400)
        }
    }

    /// `render`'s formats and parameters as Pyroscope reads them, and `render-diff`.
    @Test func renderFormatsAndRenderDiff() async throws {
        try await InProcessServer().run { server in
            let cpu = try TestData.bytes("pprof/go-cpu.pb.gz")
            try await server.push([([("__name__", "process_cpu"), ("service_name", "a")], [cpu])])
            let t = try PprofDecoder.decode(cpu).timeNanos / 1_000_000
            let type = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"
            let range = "from=\(t - 3_600_000)&until=\(t + 60_000)"
            let query = "query=\(type)%7Bservice_name%3D%22a%22%7D"

            // dot: the call graph in Graphviz, as go tool pprof -dot draws it.
            let dot = try await server.get("/pyroscope/render?\(query)&\(range)&format=dot&maxNodes=10")
            #expect(dot.status == 200 && dot.header("Content-Type") == "text/vnd.graphviz")
            #expect(dot.text.hasPrefix("digraph") && dot.text.contains("crypto/sha256.block") && dot.text.contains(" -> "))
            #expect(dot.text.components(separatedBy: "[label=\"").count - 1 <= 10 + 10 * 10, "at most 10 nodes and their edges")
            // Any other format answers JSON; an unparsable maxNodes is the default.
            for extra in ["format=html", "format=pprof", "maxNodes=invalid"] {
                let (status, body) = try await Self.json(server, "/pyroscope/render?\(query)&\(range)&\(extra)")
                #expect(
                    status == 200 && ((body as? [String: Any])?["flamebearer"] as? [String: Any])?["numTicks"] as? Int64 == 9_910_000_000, "\(extra)")
            }
            // 0 is not a time.
            for zero in ["from=0&until=\(t)", "from=0&until=0"] {
                #expect(try await server.get("/pyroscope/render?\(query)&\(zero)").status == 400, "\(zero)")
            }

            // render-diff: the same profile on both sides, each over its own range.
            let diffQuery =
                "leftQuery=\(type)%7B%7D&leftFrom=\(t - 3_600_000)&leftUntil=\(t + 60_000)&rightQuery=\(type)%7B%7D&rightFrom=\(t - 3_600_000)&rightUntil=\(t + 60_000)"
            let (status, body) = try await Self.json(server, "/pyroscope/render-diff?\(diffQuery)")
            let diff = try #require(body as? [String: Any])
            #expect(status == 200 && diff["leftTicks"] as? Int64 == 9_910_000_000 && diff["rightTicks"] as? Int64 == 9_910_000_000)
            #expect((diff["metadata"] as? [String: Any])?["format"] as? String == "double")
            #expect(((diff["flamebearer"] as? [String: Any])?["levels"] as? [[Int64]])?.first?.count == 7)
            for bad in [
                "leftFrom=\(t)&leftUntil=\(t)&rightQuery=\(type)%7B%7D&rightFrom=\(t)&rightUntil=\(t)",  // no left query
                diffQuery.replacingOccurrences(of: "rightQuery=\(type)", with: "rightQuery=memory:alloc_space:bytes:space:bytes"),
                diffQuery.replacingOccurrences(of: "leftFrom=\(t - 3_600_000)", with: "leftFrom=0"),
            ] {
                #expect(try await server.get("/pyroscope/render-diff?\(bad)").status == 400, "\(bad)")
            }
            #expect(try await server.post("/pyroscope/render-diff?\(diffQuery)").status == 405)
        }
    }
}
