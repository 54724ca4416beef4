import Foundation
import KilnFormat
import KilnIngest
import KilnModel
import KilnPprof
import KilnStorage

/// Deterministic WAL content for tests and the golden files in testdata/wal.
enum WALFixtures {
    /// The records three small pushes produce, in order, for tenant "golden".
    static func records() throws -> [IngestRecord] {
        var head = HeadState()
        var out: [IngestRecord] = []
        for (i, stacks) in [[["main", "a"], ["main", "b"]], [["main", "a", "c"]], [["main", "d"], ["main", "a"]]].enumerated() {
            var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
            for (j, s) in stacks.enumerated() { b.addSample(stack: s, values: [Int64((i + 1) * 10_000_000 + j)]) }
            let p = b.build()
            let (base, name) = try SeriesLabels.normalise([Label("__name__", "process_cpu"), Label("service_name", "svc\(i % 2)")])
            let ingest = IngestProfile(profile: p, series: SeriesLabels.targets(base: base, name: name, profile: p),
                                       timeNanos: 1_700_000_000_000_000_000 + Int64(i) * 15_000_000_000, durationNanos: 10_000_000_000)
            out.append(head.append([ingest], tenant: "golden"))
        }
        return out
    }

    /// A whole segment holding `records`.
    static func segment(_ records: [WALRecord]) -> [UInt8] {
        WALFrame.segmentHeader + records.flatMap { $0.framed() }
    }
}
