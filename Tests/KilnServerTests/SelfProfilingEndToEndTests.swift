import Foundation
import KilnProto
import KilnTestSupport
import Testing

/// `--self-profiling.enabled`: Kiln's own CPU profile lands in its store as
/// service `kiln`, with Kiln's functions named, while it works.
@Suite struct SelfProfilingEndToEndTests {
    @Test(.timeLimit(.minutes(2)))
    func kilnsOwnFlameGraph() throws {
        let server = try KilnServerProcess(arguments: ["--self-profiling.enabled", "--self-profiling.interval", "1s"])
        defer { server.stop() }
        #expect(server.log.contains("self-profiling: sampling"), "\(server.log)")
        let client = ConnectClient(server: server)
        let goCPU = try TestData.bytes("pprof/go-cpu.pb.gz")
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        // Work for Kiln to be caught doing: decode and store pushes for ~3 s.
        let until = Date().addingTimeInterval(3)
        var i = 0
        while Date() < until {
            try client.push([([("__name__", "process_cpu"), ("service_name", "load-\(i % 4)")], [goCPU])])
            i += 1
        }
        var graph = Querier_V1_FlameGraph()
        for _ in 0..<40 {
            graph = try client.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="kiln"}"#,
                                          start: start - 1000, end: Int64(Date().timeIntervalSince1970 * 1000) + 1000)
            if graph.total > 0 && graph.names.contains(where: { $0.contains("PprofDecoder") }) { break }
            usleep(250_000)
        }
        #expect(graph.total >= 10_000_000, "\(graph.total) ns of Kiln's CPU")
        // Kiln's own Swift functions, demangled.
        #expect(graph.names.contains { $0.contains("KilnPprof.PprofDecoder") }, "\(graph.names.prefix(40))")
        #expect(try client.profileTypes().contains("process_cpu:samples:count:cpu:nanoseconds"))
        #expect(server.isRunning)
    }
}
