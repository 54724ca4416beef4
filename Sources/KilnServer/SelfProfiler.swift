import CKilnSampler
import Dispatch
import Foundation
import KilnModel
import KilnPprof
import KilnStorage
import Logging
import Metrics
import ServiceLifecycle

/// Kiln profiles itself (`--self-profiling.enabled`): its CPU, sampled by
/// SIGPROF (`CKilnSampler`), and its heap, sampled in the interposed
/// allocator (`CKilnSampler`'s heap.c), stored every `interval` as a
/// `process_cpu` and a `memory` profile of service `kiln` in its own store,
/// through the push path, so an operator can open Kiln's own flame graphs in
/// Grafana.
///
/// The memory profile has Go's four sample types: `inuse_objects` and
/// `inuse_space` (the sampled blocks still allocated at the end of the
/// window) and `alloc_objects` and `alloc_space` (those allocated during
/// it: deltas, stored as such with `__delta__="false"`). Each sampled
/// allocation of `s` bytes stands for `1 / (1 − e^(−s/rate))` allocations,
/// Go's unsampling.
///
/// Cost: `hz` signals per second of CPU, each a stack walk of at most 64
/// frames (a few µs); one stack walk per `heapRate` bytes allocated; one
/// symbolisation per new return address (`dladdr`, then Swift demangling),
/// cached. Names of the `kiln` binary's own functions need its dynamic
/// symbol table (linked `-export-dynamic`, which also makes the allocator
/// interposition reach every library).
struct SelfProfiler: Service {
    let push: PushRoutes
    let tenant: String
    let hz: Int
    let interval: Duration
    /// Bytes allocated per heap sample on average; 0: no heap profile.
    let heapRate: Int
    let logger: Logger

    func run() async throws {
        guard kiln_sampler_start(Int32(hz)) == 0 else {
            logger.error("self-profiling: cannot start the CPU sampler", metadata: ["errno": "\(errno)"])
            return
        }
        defer { kiln_sampler_stop() }
        var heap = heapRate > 0
        if heap && kiln_heap_start(heapRate) != 0 {
            logger.error("self-profiling: cannot start the heap sampler", metadata: ["errno": "\(errno)"])
            heap = false
        }
        defer { if heap { kiln_heap_stop() } }
        logger.info(
            "self-profiling: sampling Kiln's CPU and heap", metadata: ["hz": "\(hz)", "heap_rate": "\(heap ? heapRate : 0)", "tenant": "\(tenant)"])
        var symbols = SymbolCache()
        var windowStart = Date()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let end = Date()
            await store(collect(&symbols, from: windowStart, to: end), name: "process_cpu")
            if heap { await store(collectHeap(&symbols, from: windowStart, to: end), name: "memory", delta: true) }
            windowStart = end
        }
    }

    /// Drains the sampler into a CPU pprof of the window.
    func collect(_ symbols: inout SymbolCache, from start: Date, to end: Date) -> Profile? {
        var words = [UInt](repeating: 0, count: 4096 * (Int(KILN_SAMPLER_MAX_DEPTH) + 1))
        let n = words.withUnsafeMutableBufferPointer { kiln_sampler_drain($0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let period = Int64(1_000_000_000 / hz)
        var b = ProfileBuilder(sampleTypes: [("samples", "count"), ("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: period)
        var i = 0
        while i < n {
            let depth = Int(words[i])
            // Frame 0 is the signal handler, frame 1 the kernel's return trampoline.
            let frames = words[(i + 1)..<(i + 1 + depth)].dropFirst(2)
            var stack: [String] = []
            for (k, pc) in frames.enumerated() {
                // A return address points after its call: look up the call itself.
                stack.append(symbols.name(of: k == 0 ? pc : pc &- 1))
            }
            if !stack.isEmpty { b.addSample(stack: stack.reversed(), values: [1, period]) }
            i += 1 + depth
        }
        let startNanos = start.unixNanoseconds
        return b.build(timeNanos: startNanos, durationNanos: Int64(end.timeIntervalSince(start) * 1e9))
    }

    /// The heap profile of the window: the sampled blocks still allocated,
    /// and those allocated since the last call.
    func collectHeap(_ symbols: inout SymbolCache, from start: Date, to end: Date) -> Profile? {
        var words = [UInt](repeating: 0, count: 16_384 * (Int(KILN_HEAP_MAX_DEPTH) + 2))
        let live = words.withUnsafeMutableBufferPointer { kiln_heap_live($0.baseAddress, $0.count) }
        var allocated = [UInt](repeating: 0, count: 4096 * (Int(KILN_HEAP_MAX_DEPTH) + 2))
        let new = allocated.withUnsafeMutableBufferPointer { kiln_heap_drain_allocations($0.baseAddress, $0.count) }
        guard live + new > 0 else { return nil }
        let rate = Double(heapRate)
        var b = ProfileBuilder(
            sampleTypes: [("alloc_objects", "count"), ("alloc_space", "bytes"), ("inuse_objects", "count"), ("inuse_space", "bytes")],
            periodType: ("space", "bytes"), period: Int64(heapRate))
        func add(_ words: [UInt], count: Int, inuse: Bool) {
            var i = 0
            while i < count {
                let depth = Int(words[i])
                let size = Double(words[i + 1])
                // Every frame is a return address: look up the call itself.
                let stack = words[(i + 2)..<(i + 2 + depth)].map { symbols.name(of: $0 &- 1) }
                let weight = size > 0 ? 1 / (1 - exp(-size / rate)) : 1
                let objects = Int64(weight.rounded())
                let bytes = Int64((weight * size).rounded())
                if !stack.isEmpty { b.addSample(stack: stack.reversed(), values: inuse ? [0, 0, objects, bytes] : [objects, bytes, 0, 0]) }
                i += 2 + depth
            }
        }
        add(words, count: live, inuse: true)
        add(allocated, count: new, inuse: false)
        return b.build(timeNanos: start.unixNanoseconds, durationNanos: end.unixNanoseconds - start.unixNanoseconds)
    }

    /// Stores the window's profile as a push of service `kiln` (before the
    /// service returns, so never after the WAL has closed); `delta`: its
    /// cumulative-looking types (alloc_*) are deltas already.
    private func store(_ profile: Profile?, name: String, delta: Bool = false) async {
        guard let profile else { return }
        do {
            var labels = [Label("__name__", name), Label("service_name", "kiln")]
            if delta { labels.append(Label("__delta__", "false")) }
            let converted = try push.convert(
                labels: labels,
                rawProfile: PprofEncoder.encode(profile), id: "", nowNanos: profile.timeNanos, tenant: tenant)
            try await push.store([converted], tenant: tenant)
        } catch {
            logger.warning("self-profiling: profile not stored", metadata: ["error": "\(error)"])
        }
    }
}

/// Return address → function name, cached: `dladdr` finds the symbol, and
/// Swift symbols are demangled; unknown addresses are named by module and
/// offset, or by address.
struct SymbolCache {
    private var names: [UInt: String] = [:]

    mutating func name(of pc: UInt) -> String {
        if let n = names[pc] { return n }
        var symbol: UnsafePointer<CChar>?
        var file: UnsafePointer<CChar>?
        var base: UInt = 0
        var name = "0x" + String(pc, radix: 16)
        if kiln_symbolize(pc, &symbol, &file, &base) != 0 {
            if let symbol {
                name = Self.demangle(symbol) ?? String(cString: symbol)
            } else if let file {
                name = "\((String(cString: file) as NSString).lastPathComponent)+0x" + String(pc &- base, radix: 16)
            }
        }
        names[pc] = name
        return name
    }

    @_silgen_name("swift_demangle")
    private static func swiftDemangle(
        _ mangled: UnsafePointer<CChar>?, _ length: Int, _ out: UnsafeMutablePointer<CChar>?,
        _ outLength: UnsafeMutablePointer<Int>?, _ flags: UInt32
    ) -> UnsafeMutablePointer<CChar>?

    /// The demangled, shortened form of a Swift symbol (`short`), nil for other symbols.
    static func demangle(_ symbol: UnsafePointer<CChar>) -> String? {
        let length = strlen(symbol)
        guard let out = swiftDemangle(symbol, length, nil, nil, 0) else { return nil }
        defer { free(out) }
        return short(String(cString: out))
    }

    /// `Module.Type.method` as a flame graph shows it: without the
    /// signature, the generic clause or `static`; a closure is named
    /// `<its function> closure`. `KilnStorage.Head.append<A where A:
    /// Sendable>(_: …) -> …` becomes `KilnStorage.Head.append`.
    static func short(_ demangled: String) -> String {
        var name = Substring(demangled)
        var suffix = ""
        if let range = name.range(of: " in ", options: .backwards), name.contains("closure") {
            name = name[range.upperBound...]
            suffix = " closure"
        }
        if name.hasPrefix("static ") { name = name.dropFirst("static ".count) }
        // Cut at the first "(" or "<" outside the name.
        if let cut = name.firstIndex(where: { $0 == "(" || $0 == "<" }) { name = name[..<cut] }
        return name.isEmpty ? demangled : String(name) + suffix
    }
}
