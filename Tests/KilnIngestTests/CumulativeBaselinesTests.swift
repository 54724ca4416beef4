import KilnBytes
import KilnFormat
import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

/// Cumulative profiles become deltas per series and stack (pyroscope-api.md §4.4).
@Suite struct CumulativeBaselinesTests {
    static let t0: Int64 = 1_700_000_000_000_000_000

    /// A `memory` profile (alloc_space cumulative, inuse_space a gauge) of `stacks`, pushed over Push.
    static func memory(
        _ stacks: [(stack: [String], alloc: Int64, inuse: Int64)], at time: Int64,
        labels: [Label] = [Label("__name__", "memory")]
    ) throws -> IngestProfile {
        var b = ProfileBuilder(sampleTypes: [("alloc_space", "bytes"), ("inuse_space", "bytes")], periodType: ("space", "bytes"), period: 524_288)
        for s in stacks { b.addSample(stack: s.stack, values: [s.alloc, s.inuse]) }
        var p = b.build()
        p.timeNanos = time
        return try PushConverter.convert(labels: labels, rawProfile: PprofEncoder.encode(p), id: "", nowNanos: time)
    }

    /// Per series type, stack (joined) → stored value after `toDeltas`.
    static func stored(_ p: IngestProfile) -> [String: [String: Int64]] {
        var out: [String: [String: Int64]] = [:]
        let nTypes = p.profile.sampleTypes.count
        for t in p.series {
            for i in t.samples.map({ $0.map(Int.init) }) ?? Array(0..<p.profile.sampleCount) {
                let v = p.profile.sampleValues[i * nTypes + t.sampleType]
                guard v != 0 else { continue }
                let stack = p.profile.locations(ofSample: i).map {
                    p.profile.strings[p.profile.functions[Int(p.profile.lines(ofLocation: Int($0)).first!.functionIndex)].name]
                }
                out[t.profileType.sampleType, default: [:]][stack.reversed().joined(separator: ";"), default: 0] += v
            }
        }
        return out
    }

    @Test func whichTypesAreCumulative() throws {
        let allocs = try TestData.bytes("pprof/go-allocs.pb.gz")
        func marks(_ labels: [Label], _ bytes: [UInt8]) throws -> [String: Bool] {
            let p = try PushConverter.convert(labels: labels, rawProfile: bytes, id: "", nowNanos: 1)
            return Dictionary(p.series.map { ($0.profileType.sampleType, $0.cumulative) }, uniquingKeysWith: { $0 || $1 })
        }
        #expect(
            try marks([Label("__name__", "memory")], allocs) == [
                "alloc_objects": true, "alloc_space": true, "inuse_objects": false, "inuse_space": false,
            ])
        // The labels say the profile is a delta already.
        #expect(try marks([Label("__name__", "memory"), Label("__delta__", "false")], allocs).values.allSatisfy { !$0 })
        #expect(try marks([Label("__name__", "godeltaprof_memory")], allocs).values.allSatisfy { !$0 })
        #expect(try marks([Label("__name__", "mutex")], TestData.bytes("pprof/go-mutex.pb.gz")) == ["contentions": true, "delay": true])
        #expect(try marks([Label("__name__", "block")], TestData.bytes("pprof/go-block.pb.gz")) == ["contentions": true, "delay": true])
        #expect(try marks([Label("__name__", "godeltaprof_mutex")], TestData.bytes("pprof/go-mutex.pb.gz")).values.allSatisfy { !$0 })
        #expect(try marks([Label("__name__", "process_cpu")], TestData.bytes("pprof/go-cpu.pb.gz")).values.allSatisfy { !$0 })
        // /ingest: pyroscope-go sends deltas (godeltaprof); Pyroscope never deltas that path.
        let (ct, body) = MultipartBody.make([("profile", "profile.pprof", allocs)])
        let request = try IngestRequest(query: ["name": "app", "spyName": "gospy", "from": "1700000000", "until": "1700000010"], nowNanos: 0)
        let converted = try IngestConverter.convert(request, contentType: ct, body: body)
        #expect(!converted.isEmpty && converted.allSatisfy { $0.series.allSatisfy { !$0.cumulative } })
    }

    @Test func firstProfileIsABaselineThenDeltasPerStackThenResets() throws {
        var state = CumulativeBaselines()
        var log: [CumulativeRecord.Series] = []
        // First profile: baseline only; the gauge is stored whole.
        var p = try Self.memory([(["main", "a"], 100, 7), (["main", "b"], 50, 3)], at: Self.t0)
        log += state.toDeltas(&p)
        #expect(Self.stored(p) == ["inuse_space": ["main;a": 7, "main;b": 3]])
        // Growth: a +20, b unchanged, c new.
        p = try Self.memory([(["main", "a"], 120, 1), (["main", "b"], 50, 1), (["main", "c"], 9, 1)], at: Self.t0 + 15_000_000_000)
        log += state.toDeltas(&p)
        #expect(Self.stored(p) == ["alloc_space": ["main;a": 20, "main;c": 9], "inuse_space": ["main;a": 1, "main;b": 1, "main;c": 1]])
        // A stack repeated (as pprof may, with other labels) is summed before the difference.
        p = try Self.memory([(["main", "a"], 100, 0), (["main", "a"], 30, 0), (["main", "c"], 9, 0)], at: Self.t0 + 30_000_000_000)
        log += state.toDeltas(&p)
        #expect(Self.stored(p) == ["alloc_space": ["main;a": 10]])
        // A stack went down: the process restarted. Nothing stored; new baseline.
        p = try Self.memory([(["main", "a"], 5, 0)], at: Self.t0 + 45_000_000_000)
        log += state.toDeltas(&p)
        #expect(Self.stored(p).isEmpty)
        p = try Self.memory([(["main", "a"], 8, 0), (["main", "b"], 2, 0)], at: Self.t0 + 60_000_000_000)
        log += state.toDeltas(&p)
        #expect(Self.stored(p) == ["alloc_space": ["main;a": 3, "main;b": 2]])

        // Replaying what was logged rebuilds the same state.
        var replayed = CumulativeBaselines()
        replayed.apply(CumulativeRecord(tenant: "t", snapshot: false, series: log))
        #expect(replayed == state)
        #expect(log.map(\.replace) == [true, false, false, true, false])
        // A snapshot replaces everything; one taken an hour after the last profile keeps nothing.
        var copy = state
        let taken = copy.snapshot(tenant: "t", nowNanos: Self.t0 + 61_000_000_000)
        let snapshot = try #require(taken)
        var fromSnapshot = CumulativeBaselines()
        fromSnapshot.apply(
            CumulativeRecord(tenant: "t", snapshot: false, series: [.init(key: 1, timeNanos: 0, replace: true, stacks: [1], values: [1])]))
        fromSnapshot.apply(snapshot)
        #expect(fromSnapshot == state)
        let stale = copy.snapshot(tenant: "t", nowNanos: Self.t0 + 60_000_000_000 + CumulativeBaselines.staleAfterNanos + 1)
        #expect(stale == nil)
        #expect(copy.isEmpty)
    }

    @Test func seriesAreIndependent() throws {
        var state = CumulativeBaselines()
        var a = try Self.memory([(["main", "a"], 100, 0)], at: Self.t0, labels: [Label("__name__", "memory"), Label("pod", "1")])
        var b = try Self.memory([(["main", "a"], 100, 0)], at: Self.t0, labels: [Label("__name__", "memory"), Label("pod", "2")])
        _ = state.toDeltas(&a)
        _ = state.toDeltas(&b)
        a = try Self.memory([(["main", "a"], 130, 0)], at: Self.t0 + 1, labels: [Label("__name__", "memory"), Label("pod", "1")])
        _ = state.toDeltas(&a)
        #expect(Self.stored(a) == ["alloc_space": ["main;a": 30]])
        #expect(state.series.count == 2)
    }

    @Test func recordRoundTripsAndRejectsCorruption() throws {
        let r = CumulativeRecord(
            tenant: "t", snapshot: true,
            series: [
                .init(key: 0xDEAD_BEEF, timeNanos: Self.t0, replace: true, stacks: [1, 5, 0xFFFF_FFFF_FFFF_FFFF], values: [0, 7, 1 << 40]),
                .init(key: 2, timeNanos: -1, replace: false, stacks: [], values: []),
            ])
        let framed = WALRecord.cumulative(r).framed()
        #expect(framed[8] == WALFrame.RecordType.cumulative.rawValue)
        var w = ByteWriter()
        r.encode(into: &w)
        let decoded = try w.bytes.withUnsafeBytes { raw throws(DecodeError) in
            var reader = ByteReader(raw)
            return try CumulativeRecord.decode(&reader)
        }
        #expect(decoded == r)
        // Keys out of order.
        var bad = r
        bad.series[0].stacks = [5, 1, 9]
        var wb = ByteWriter()
        bad.encode(into: &wb)
        wb.bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            #expect(throws: DecodeError.self) { try CumulativeRecord.decode(&reader) }
        }
    }
}
