import Foundation
import KilnProto
import KilnTestSupport
import Testing

/// `--self-profiling.enabled`: Kiln's own CPU and heap profiles land in its
/// store as service `kiln`, with Kiln's functions named, while it works.
@Suite struct SelfProfilingEndToEndTests {
    @Test(.timeLimit(.minutes(2)))
    func kilnsOwnFlameGraph() throws {
        let server = try KilnServerProcess(arguments: [
            "--self-profiling.enabled", "--self-profiling.interval", "1s",
            "--self-profiling.heap-sample-rate", "16KiB",
        ])
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
            graph = try client.flameGraph(
                "process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="kiln"}"#,
                start: start - 1000, end: Int64(Date().timeIntervalSince1970 * 1000) + 1000)
            if graph.total > 0 && graph.names.contains(where: { $0.contains("PprofDecoder") }) { break }
            usleep(250_000)
        }
        #expect(graph.total >= 10_000_000, "\(graph.total) ns of Kiln's CPU")
        // Kiln's own Swift functions, demangled.
        #expect(graph.names.contains { $0.contains("KilnPprof.PprofDecoder") }, "\(graph.names.prefix(40))")
        #expect(try client.profileTypes().contains("process_cpu:samples:count:cpu:nanoseconds"))

        // The heap: what the pushes left allocated is held by the head, and was allocated under the push path.
        let now = Int64(Date().timeIntervalSince1970 * 1000) + 1000
        let inuse = try client.flameGraph("memory:inuse_space:bytes:space:bytes", #"{service_name="kiln"}"#, start: start - 1000, end: now)
        #expect(inuse.total > 100_000, "\(inuse.total) bytes in use")
        #expect(inuse.names.contains { $0.hasPrefix("KilnStorage.") }, "\(inuse.names.prefix(60))")
        let allocs = try client.flameGraph("memory:alloc_space:bytes:space:bytes", #"{service_name="kiln"}"#, start: start - 1000, end: now)
        // Decoding each pushed profile allocates more than the head keeps of it.
        #expect(allocs.total > inuse.total, "\(allocs.total) bytes allocated, \(inuse.total) in use")
        #expect(allocs.names.contains { $0.contains("KilnPprof.PprofDecoder") }, "\(allocs.names.prefix(60))")
        let types = try client.profileTypes()
        for t in ["alloc_objects:count", "alloc_space:bytes", "inuse_objects:count", "inuse_space:bytes"] {
            #expect(types.contains("memory:\(t):space:bytes"), "\(types)")
        }
        #expect(server.isRunning)
    }
}
