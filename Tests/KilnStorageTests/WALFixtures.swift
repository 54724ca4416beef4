import Foundation
import KilnFormat
import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnStorage

/// Deterministic WAL content for tests and the golden files in testdata/wal.
enum WALFixtures {
    /// The span ids of the fourth push of `records(withSpans: true)`.
    static let spans: [UInt64] = [0x0123_4567_89AB_CDEF, 0x42]

    /// The records three small pushes produce, in order, for tenant "golden";
    /// `withSpans` adds a fourth whose samples carry `span_id` labels (a type 3 record).
    static func records(withSpans: Bool = false) throws -> [IngestRecord] {
        var head = HeadState()
        var out: [IngestRecord] = []
        for (i, stacks) in [[["main", "a"], ["main", "b"]], [["main", "a", "c"]], [["main", "d"], ["main", "a"]]].enumerated() {
            var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
            for (j, s) in stacks.enumerated() { b.addSample(stack: s, values: [Int64((i + 1) * 10_000_000 + j)]) }
            let p = b.build()
            let (base, name, _) = try SeriesLabels.normalise([Label("__name__", "process_cpu"), Label("service_name", "svc\(i % 2)")])
            let ingest = IngestProfile(
                profile: p, series: SeriesLabels.targets(base: base, name: name, profile: p),
                timeNanos: 1_700_000_000_000_000_000 + Int64(i) * 15_000_000_000, durationNanos: 10_000_000_000)
            out.append(head.append([ingest], tenant: "golden"))
        }
        if withSpans {
            var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
            b.addSample(stack: ["main", "a"], values: [10_000_000], labels: [("span_id", SpanID.format(spans[0]))])
            b.addSample(stack: ["main", "b"], values: [20_000_000], labels: [("span_id", SpanID.format(spans[1]))])
            b.addSample(stack: ["main", "a"], values: [30_000_000])
            b.addSample(stack: ["main", "b"], values: [40_000_000], labels: [("span_id", SpanID.format(spans[0]))])
            var p = b.build()
            p.timeNanos = 1_700_000_000_000_000_000 + 45_000_000_000
            out.append(
                head.append(
                    [
                        try PushConverter.convert(
                            labels: [Label("__name__", "process_cpu"), Label("service_name", "svc0")],
                            rawProfile: PprofEncoder.encode(p), id: "", nowNanos: 0)
                    ], tenant: "golden"))
        }
        return out
    }

    /// A whole segment holding `records`.
    static func segment(_ records: [WALRecord]) -> [UInt8] {
        WALFrame.segmentHeader + records.flatMap { $0.framed() }
    }
}
