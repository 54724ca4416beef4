import KilnJFR
import KilnPprof

/// What a JFR event counts as: the profile it lands in, as grafana/jfr-parser
/// sorts them (`pprof.go`), with that profile's sample and period types and
/// the `__name__` of its series.
enum JFRSampleKind: Int, CaseIterable, Comparable {
    case cpu, wall, allocationInNewTLAB, allocationOutsideTLAB, lock, threadPark, liveObject, allocationSample, malloc

    static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    var metric: String {
        switch self {
        case .cpu: "process_cpu"
        case .wall: "wall"
        case .lock: "mutex"
        case .threadPark: "block"
        case .allocationInNewTLAB, .allocationOutsideTLAB, .liveObject, .allocationSample, .malloc: "memory"
        }
    }

    /// For error messages.
    var name: String { "\(self)" }

    var sampleTypes: [(type: String, unit: String)] {
        switch self {
        case .cpu: [("cpu", "nanoseconds")]
        case .wall: [("wall", "nanoseconds")]
        case .allocationInNewTLAB: [("alloc_in_new_tlab_objects", "count"), ("alloc_in_new_tlab_bytes", "bytes")]
        case .allocationOutsideTLAB: [("alloc_outside_tlab_objects", "count"), ("alloc_outside_tlab_bytes", "bytes")]
        case .lock, .threadPark: [("contentions", "count"), ("delay", "nanoseconds")]
        case .liveObject: [("live", "count")]
        case .allocationSample: [("alloc_sample_objects", "count"), ("alloc_sample_bytes", "bytes")]
        case .malloc: [("malloc_objects", "count"), ("malloc_bytes", "bytes")]
        }
    }

    var periodType: (type: String, unit: String)? {
        switch self {
        case .cpu: ("cpu", "nanoseconds")
        case .wall: ("wall", "nanoseconds")
        case .allocationInNewTLAB, .allocationOutsideTLAB, .allocationSample: ("space", "bytes")
        case .lock: ("mutex", "count")
        case .threadPark: ("block", "count")
        case .liveObject: ("objects", "count")
        case .malloc: nil
        }
    }
}

/// Turns a recording's chunks into one `Profile` per `JFRSampleKind`, as
/// they stream in: functions by frame name (`class.method`, JVM-generated
/// names merged by `JVMSymbols`), locations by (function, line), samples by
/// (stack, context): equal stacks of equal labels add up.
///
/// Values (grafana/jfr-parser's): a CPU or wall sample weighs one sampling
/// period in nanoseconds (an async-profiler wall-clock event `samples`
/// periods); allocation, lock and park events count one and their weight
/// (bytes, nanoseconds); live objects count one.
///
/// The sampling period: `1e9 / sampleRate` when the upload names a rate
/// other than the default; otherwise the recording's own
/// `jdk.ExecutionSample#period` setting (the JDK's); otherwise 100 Hz.
struct JFRProfileBuilders {
    let request: IngestRequest
    let snapshot: JFRLabelsSnapshot
    /// async-profiler's `event` setting (`cpu`, `itimer`, `wall`, …), the
    /// last one seen; "" for the JDK's recordings.
    private(set) var event = ""
    private var builders: [JFRSampleKind: Builder] = [:]
    private var periodNanos: Int64 = 0

    init(request: IngestRequest, snapshot: JFRLabelsSnapshot) {
        self.request = request
        self.snapshot = snapshot
    }

    mutating func add(_ chunk: JFRChunk) {
        var recordedPeriod: Int64?
        for s in chunk.settings {
            if s.name == "event" { event = s.value }
            if s.eventType == JFREventKind.executionSample.rawValue, s.name == "period" {
                recordedPeriod = Self.nanoseconds(s.value) ?? recordedPeriod
            }
        }
        if request.sampleRate != IngestRequest.defaultSampleRate || recordedPeriod == nil {
            periodNanos = request.sampleRate > 0 ? 1_000_000_000 / request.sampleRate : 0
        } else {
            periodNanos = recordedPeriod!
        }
        var stacks = ChunkStacks(chunk)
        for e in chunk.events {
            switch e.kind {
            case .executionSample:
                if let state = e.threadState, state != "STATE_SLEEPING" { add(.cpu, e, [periodNanos], &stacks) }
                if event == "wall" { add(.wall, e, [periodNanos], &stacks) }
            case .wallClockSample: add(.wall, e, [e.weight &* periodNanos], &stacks, context: false)
            case .allocationInNewTLAB: add(.allocationInNewTLAB, e, [1, e.weight], &stacks)
            case .allocationOutsideTLAB: add(.allocationOutsideTLAB, e, [1, e.weight], &stacks)
            case .allocationSample: add(.allocationSample, e, [1, e.weight], &stacks, context: false)
            case .monitorEnter: add(.lock, e, [1, e.weight], &stacks)
            case .threadPark: add(.threadPark, e, [1, e.weight], &stacks, context: false)
            case .liveObject: add(.liveObject, e, [1], &stacks, context: false)
            case .malloc: add(.malloc, e, [1, e.weight], &stacks, context: false)
            }
        }
    }

    /// The built profiles, in `JFRSampleKind` order.
    func build() -> [(JFRSampleKind, Profile)] {
        builders.keys.sorted().map { kind in
            var p = builders[kind]!.profile.build(timeNanos: request.fromNanos, durationNanos: request.durationNanos)
            p.period = kind == .cpu || kind == .wall ? periodNanos : 1
            return (kind, p)
        }
    }

    /// As grafana/jfr-parser, only some events carry their correlation
    /// (`contextId`, `spanId`, `spanName`) into labels.
    private mutating func add(_ kind: JFRSampleKind, _ e: JFREvent, _ values: [Int64], _ stacks: inout ChunkStacks, context: Bool = true) {
        guard let frames = stacks.chunk.stackTraces[e.stackTrace], !frames.frames.isEmpty else { return }
        let correlation = context ? Correlation(context: e.contextID, span: e.spanID, spanName: e.spanName) : Correlation()
        var b = builders[kind] ?? Builder(kind)
        let locations = stacks.locations(of: e.stackTrace, frames, in: kind, &b)
        b.add(locations, correlation, values: values, snapshot: snapshot)
        builders[kind] = b
    }

    /// What ties a sample to labels: the agent's context and the span it ran in.
    struct Correlation: Hashable {
        var context: Int64 = 0
        var span: Int64 = 0
        var spanName: Int64 = 0
    }

    /// `10 ms`, `20 ms`, `1 s`, `500 us`, `1000000 ns` → nanoseconds.
    static func nanoseconds(_ setting: String) -> Int64? {
        let parts = setting.split(separator: " ")
        guard parts.count == 2, let n = Int64(parts[0]), n > 0 else { return nil }
        let unit: Int64
        switch parts[1] {
        case "ns": unit = 1
        case "us": unit = 1_000
        case "ms": unit = 1_000_000
        case "s": unit = 1_000_000_000
        default: return nil
        }
        let (v, overflow) = n.multipliedReportingOverflow(by: unit)
        return overflow ? nil : v
    }

    /// One chunk's stack traces as location lists of each profile, resolved
    /// once per (kind, stack).
    private struct ChunkStacks {
        let chunk: JFRChunk
        var resolved: [JFRSampleKind: [Int64: [UInt32]]] = [:]
        /// Frame names by method key: each method's name is made (and merged) once per chunk.
        var names: [Int64: String] = [:]
        init(_ chunk: JFRChunk) { self.chunk = chunk }

        mutating func locations(of id: Int64, _ st: JFRStackTrace, in kind: JFRSampleKind, _ b: inout Builder) -> [UInt32] {
            if let l = resolved[kind]?[id] { return l }
            let l = st.frames.map { f in b.location(name(f), line: f.line) }
            resolved[kind, default: [:]][id] = l
            return l
        }

        mutating func name(_ f: JFRFrame) -> String {
            if let n = names[f.methodID] { return n }
            let n = JVMSymbols.merged(f.className) + "." + JVMSymbols.merged(f.methodName)
            names[f.methodID] = n
            return n
        }
    }

    /// One profile being built: `ProfileBuilder`'s functions, locations and
    /// strings, and the samples by (stack, correlation), so equal ones add up.
    private struct Builder {
        var profile: ProfileBuilder
        private var samples: [SampleKey: Int] = [:]

        struct SampleKey: Hashable {
            var locations: [UInt32]
            var correlation: Correlation
        }

        init(_ kind: JFRSampleKind) { profile = ProfileBuilder(sampleTypes: kind.sampleTypes, periodType: kind.periodType) }

        mutating func location(_ name: String, line: Int32) -> UInt32 { profile.location(name, line: Int64(line)) }

        /// A span becomes the `profile_id` label (16 hex digits, the span id
        /// Kiln keeps per sample) and its name `span_name`, as jfr-parser labels them.
        mutating func add(_ stack: [UInt32], _ correlation: Correlation, values: [Int64], snapshot: JFRLabelsSnapshot) {
            let key = SampleKey(locations: stack, correlation: correlation)
            if let i = samples[key] {
                profile.addValues(values, toSample: i)
                return
            }
            var labels = snapshot.labels(correlation.context)
            if correlation.span != 0 {
                let hex = String(UInt64(bitPattern: correlation.span), radix: 16)
                labels.append((SampleLabelGroups.profileIDLabel, String(repeating: "0", count: 16 - hex.count) + hex))
            }
            if correlation.spanName != 0, let name = snapshot.strings[correlation.spanName], !name.isEmpty {
                labels.append(("span_name", name))
            }
            samples[key] = profile.addSample(locations: stack, values: values, labels: labels)
        }
    }
}
