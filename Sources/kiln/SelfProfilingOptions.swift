import ArgumentParser

/// Kiln profiling itself, stored as service `kiln`.
struct SelfProfilingOptions: ParsableArguments {
    @Flag(
        name: .customLong("self-profiling.enabled"),
        help:
            "Profile Kiln itself: its CPU, sampled 100 times per CPU second, and its heap, stored every 10 s as service_name=\"kiln\" (process_cpu, memory) in --self-profiling.tenant, for Kiln's own flame graphs in Grafana."
    )
    var selfProfiling = false

    @Option(name: .customLong("self-profiling.tenant"), help: "The tenant Kiln's self-profile is stored for.")
    var selfProfilingTenant = "anonymous"

    @Option(
        name: .customLong("self-profiling.heap-sample-rate"),
        help: "Bytes allocated per heap sample on average (KiB, MiB suffixes; Go's default 512KiB); 0: no heap profile.")
    var selfProfilingHeapRate = "512KiB"

    @Option(name: .customLong("self-profiling.interval"), help: "How often the self-profile's samples are stored as one profile (s, m).")
    var selfProfilingInterval = "10s"

    func validate() throws {
        _ = try heapRate()
        guard try interval() > .zero else { throw ValidationError("--self-profiling.interval must be positive") }
    }

    func heapRate() throws -> Int { try FlagValue.bytes(selfProfilingHeapRate, flag: "--self-profiling.heap-sample-rate") }

    func interval() throws -> Duration { .nanoseconds(try FlagValue.duration(selfProfilingInterval, flag: "--self-profiling.interval")) }
}
