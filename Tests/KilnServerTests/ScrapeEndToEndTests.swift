import Foundation
import KilnProto
import KilnTestSupport
import Testing

/// Pull mode against a real Go `net/http/pprof` target, built here with
/// Debian's golang-go from tools/e2e/pprof-target and started on 127.0.0.1:
/// the scraped CPU, memory, goroutine, mutex and block profiles are
/// queryable under the job's labels; a target that refuses is counted as a
/// failed scrape and changes nothing else.
@Suite struct ScrapeEndToEndTests {
    /// Builds the Go target into `dir` and starts it on a free port.
    static func startTarget(in dir: URL) throws -> (process: Process, address: String) {
        let binary = dir.appendingPathComponent("pprof-target")
        let build = try Subprocess.run(
            ["go", "build", "-o", binary.path, "."],
            environment: [
                "HOME": dir.path, "GOCACHE": dir.appendingPathComponent("gocache").path, "GOPATH": dir.appendingPathComponent("gopath").path,
                "GOFLAGS": "-mod=mod", "GO111MODULE": "on", "GOTOOLCHAIN": "local",
            ], workingDirectory: TestData.root.appendingPathComponent("tools/e2e/pprof-target").path, timeoutSeconds: 300)
        guard build.status == 0 else { throw SubprocessError(message: "go build failed: \(build.stderr)") }
        let port = try FreePort.find()
        let p = Process()
        p.executableURL = binary
        p.arguments = ["127.0.0.1:\(port)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        guard FreePort.waitUntilListening(port, seconds: 10) else { throw SubprocessError(message: "the Go target did not listen") }
        return (p, "127.0.0.1:\(port)")
    }

    @Test(.timeLimit(.minutes(3)))
    func scrapesARealGoTarget() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-scrape-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (target, address) = try Self.startTarget(in: dir)
        defer { target.terminate() }
        let refused = "127.0.0.1:\(try FreePort.find())"
        let config = dir.appendingPathComponent("kiln.yaml")
        try """
        scrape_configs:
          - job_name: gotarget
            scrape_interval: 2s
            static_configs:
              - targets: ["\(address)"]
                labels: {env: e2e}
              - targets: ["\(refused)"]
        """.write(to: config, atomically: true, encoding: .utf8)
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        let server = try KilnServerProcess(arguments: ["--config.file", config.path])
        defer { server.stop() }
        #expect(server.log.contains("scraping"), "\(server.log)")
        let client = ConnectClient(server: server)
        let wanted = [
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds", "memory:alloc_space:bytes:space:bytes", "memory:inuse_space:bytes:space:bytes",
            "goroutine:goroutine:count:goroutine:count", "mutex:delay:nanoseconds:contentions:count", "block:delay:nanoseconds:contentions:count",
        ]
        // Three scrapes: alloc_*, mutex and block are cumulative, stored from the second one on.
        var types: [String] = []
        for _ in 0..<60 {
            types = try client.profileTypes()
            if Set(types).isSuperset(of: wanted) { break }
            usleep(250_000)
        }
        #expect(Set(types).isSuperset(of: wanted), "\(types)")
        let now = Int64(Date().timeIntervalSince1970 * 1000) + 1000
        let cpu = try client.flameGraph(
            wanted[0], #"{service_name="gotarget", job="gotarget", env="e2e", instance="\#(address)"}"#, start: start, end: now)
        #expect(cpu.total > 100_000_000, "CPU \(cpu.total) ns")
        let nodes = try FlameGraphDecoder.decode(names: cpu.names, levels: cpu.levels.map(\.values))
        #expect(nodes.keys.contains { $0.hasSuffix("main.burn") || $0.contains("main.burn;") }, "\(nodes.keys.sorted().prefix(20))")
        for t in wanted.dropFirst() {
            #expect(try client.flameGraph(t, #"{job="gotarget"}"#, start: start, end: now).total > 0, "\(t)")
        }
        // The refused target stored nothing and was counted.
        #expect(try client.flameGraph(wanted[0], #"{instance="\#(refused)"}"#, start: start, end: now).total == 0)
        let metrics = try server.get("/metrics").text
        #expect(metrics.contains(#"kiln_scrapes_total{job="gotarget",result="failed"}"#), "\(metrics)")
        #expect(metrics.contains(#"kiln_scrapes_total{job="gotarget",result="ok"}"#))
        #expect(server.isRunning)
    }

    @Test func aBadScrapeConfigStopsTheStartNamingItsKey() throws {
        let path = NSTemporaryDirectory() + "kiln-scrape-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for (yaml, expected) in [
            ("scrape_configs:\n  - static_configs: [{targets: [\"a:1\"]}]\n", "scrape_configs[0].job_name: required"),
            ("scrape_configs:\n  - job_name: j\n    scrape_interval: 10s\n    scrape_timeout: 5s\n", "scrape_configs[0].scrape_timeout"),
            ("scrape_configs:\n  - job_name: j\n    static_configs: [{targets: [\"http://a:1\"]}]\n", "is not host:port"),
            ("scrape_configs:\n  - job_name: j\n    intervall: 5s\n", "scrape_configs[0].intervall: unknown key"),
        ] {
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try Subprocess.run([KilnServerProcess.binaryURL.path, "--config.file", path, "--help"], timeoutSeconds: 30)
            #expect(r.status == 64 && r.stderr.contains(expected), "\(expected): \(r.stderr)")
        }
    }
}
