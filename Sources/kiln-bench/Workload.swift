import KilnCompression
import KilnIngest
import KilnModel
import KilnPprof

/// The reference workload of docs/DESIGN.md: 100 series, one profile every
/// 15 s each, ~150 samples per profile — generated deterministically.
struct ReferenceWorkload {
    static let series = 100
    static let samplesPerProfile = 150
    static let intervalNanos: Int64 = 15_000_000_000

    /// A pool of realistic stacks: 10–30 frames over 600 function names, with
    /// shared prefixes (a few entry points, then diverging call paths).
    let stacks: [[String]]

    init(seed: UInt64 = 1) {
        var rng = SplitMix64(seed: seed)
        let functions = (0..<600).map { "github.com/acme/service/pkg\($0 % 40).Function\($0)" }
        var pool: [[String]] = []
        for _ in 0..<3000 {
            let depth = Int.random(in: 10...30, using: &rng)
            var stack = ["runtime.goexit", "main.main", functions[Int.random(in: 0..<8, using: &rng)]]
            while stack.count < depth { stack.append(functions.randomElement(using: &rng)!) }
            pool.append(stack)
        }
        stacks = pool
    }

    /// Profile `i` of series `s`: ~150 samples (cpu/nanoseconds) drawn from the pool,
    /// gzip-compressed as agents send them.
    func pprof(series s: Int, index i: Int, timeNanos: Int64) -> [UInt8] {
        var rng = SplitMix64(seed: UInt64(s) << 32 | UInt64(i))
        var b = ProfileBuilder(sampleTypes: [("samples", "count"), ("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        // Each service draws from its own slice of the pool, as real services share code paths.
        let base = (s * 97) % (stacks.count - 600)
        for _ in 0..<Self.samplesPerProfile {
            let stack = stacks[base + Int.random(in: 0..<600, using: &rng)]
            let n = Int64.random(in: 1...20, using: &rng)
            b.addSample(stack: stack, values: [n, n * 10_000_000])
        }
        return (try? PprofEncoder.encodeGzip(b.build(timeNanos: timeNanos, durationNanos: Self.intervalNanos))) ?? []
    }

    func labels(series s: Int) -> [Label] {
        [Label("__name__", "process_cpu"), Label("service_name", "svc-\(s % 10)"), Label("pod", "pod-\(s)"), Label("env", "bench")]
    }
}

/// SplitMix64: small, fast, deterministic.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
