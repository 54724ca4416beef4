import Foundation
import KilnProto
import KilnTestSupport
import Testing

/// The real `pyroscope-io` Python agent (pip) profiling a real Python process
/// and pushing to the real `kiln` binary over Connect.
@Suite struct AgentEndToEndTests {
    @Test(.timeLimit(.minutes(2)))
    func pyroscopeIOAgentPushesCPUProfiles() throws {
        let server = try KilnServerProcess()
        let script = TestData.root.appendingPathComponent("tools/e2e/pyroscope_agent.py").path
        let run = try Subprocess.run(
            [PythonEnvironment.python, script, "--server", server.baseURL, "--seconds", "3", "--tenant", "agent-tenant"], timeoutSeconds: 90)
        #expect(run.status == 0, "agent failed: \(run.stderr)")

        let client = ConnectClient(server: server, tenant: "agent-tenant")
        let types = try client.profileTypes()
        #expect(types.contains("process_cpu:cpu:nanoseconds:cpu:nanoseconds"), "types: \(types); server log:\n\(server.log)")
        var values = Types_V1_LabelValuesRequest()
        values.name = "service_name"
        values.start = ConnectClient.allTime.start
        values.end = ConnectClient.allTime.end
        let services: Types_V1_LabelValuesResponse = try client.call("/querier.v1.QuerierService/LabelValues", values)
        #expect(services.names == ["kiln.e2e.python"])
        values.name = "env"
        let envs: Types_V1_LabelValuesResponse = try client.call("/querier.v1.QuerierService/LabelValues", values)
        #expect(envs.names == ["e2e"])

        let g = try client.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="kiln.e2e.python"}"#)
        // About 3 s of CPU at 100 Hz, 10 ms per sample; allow for start-up and scheduling.
        #expect(g.total >= 500_000_000, "total \(g.total)")
        #expect(g.total % 10_000_000 == 0)
        let names = Set(g.names)
        #expect(names.contains { $0.contains("kiln_e2e_hash_work") } || names.contains { $0.contains("kiln_e2e_math_work") }, "\(g.names)")
        _ = try FlameGraphDecoder.decode(names: g.names, levels: g.levels.map(\.values))

        // The time series over the same data adds up to the flame graph's total.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let series = try client.series(
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds", #"{service_name="kiln.e2e.python"}"#,
            start: now - 600_000, end: now + 60_000, step: 1)
        #expect(series.count == 1)
        #expect(series.first.map { $0.points.reduce(0) { $0 + $1.value } } == Double(g.total))
    }
}
