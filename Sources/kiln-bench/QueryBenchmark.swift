import ArgumentParser
import Foundation
import KilnModel
import KilnQuery
import KilnStorage

/// Query latency over a day (`--hours`) of the reference workload in local
/// blocks (`ReferenceBlocks`): a fixed mix of the queries Grafana issues,
/// each run `--runs` times after one cold run (the first after opening the
/// blocks), reported as p50/p90/p99 and samples merged per second, as text
/// and optionally JSON (`--json`) for tools/bench/duckdb_compare.py.
struct QueryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Query latency (p50/p90/p99) over a day of reference blocks: flame graphs, series, label values."
    )

    @Option(help: "Hours of the reference workload.") var hours = 24
    @Option(help: "Directory of the prepared blocks (written when it has none; reused otherwise).") var directory: String
    @Option(help: "Warm runs per query.") var runs = 10
    @Option(help: "Write the results as JSON to this file.") var json: String?
    @Option(help: "Also write the rows the queries read to this directory (for tools/bench/duckdb_compare.py).") var exportRows: String?

    struct Result: Codable {
        /// Stable key for scripts: flame24h, flame1h, series24h, labelValues24h.
        var key: String
        var name: String
        var samples: Int
        var coldMs: Double
        var p50Ms: Double
        var p90Ms: Double
        var p99Ms: Double
        var samplesPerSecond: Double
    }

    func run() async throws {
        let t0 = Date()
        let blocks = try await ReferenceBlocks.open(directory, hours: hours)
        let openMs = Date().timeIntervalSince(t0) * 1000
        let samples = blocks.reduce(0) { $0 + $1.meta.stats.samples }
        print(String(format: "%d blocks, %.1f M stored samples, opened in %.0f ms", blocks.count, Double(samples) / 1e6, openMs))
        let query = Query(sources: blocks)
        let cpu = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        let startMs = ReferenceBlocks.start / 1_000_000
        let endMs = startMs + Int64(hours) * 3_600_000
        let lastHour = TimeRange.milliseconds(endMs - 3_600_000, endMs)
        let service = try LabelSelector(parsing: #"{service_name="svc-3"}"#)
        // Samples each query merges, for the throughput column (counted once, outside the timing).
        let cpuSamples = blocks.reduce(0) { $0 + $1.sampleCount(of: $1.select(Query.typed(LabelSelector(), cpu)), in: .all) }
        let serviceSamples = blocks.reduce(0) { $0 + $1.sampleCount(of: $1.select(Query.typed(service, cpu)), in: lastHour) }
        let mix: [(String, String, Int, () async throws -> Void)] = [
            (
                "flame24h", "flame graph, \(hours) h, whole tenant", cpuSamples,
                {
                    _ = try await query.mergeStacktraces(
                        profileType: cpu, selector: LabelSelector(), range: .milliseconds(startMs, endMs), maxNodes: 16_384)
                }
            ),
            (
                "flame1h", "flame graph, 1 h, one service", serviceSamples,
                {
                    _ = try await query.mergeStacktraces(profileType: cpu, selector: service, range: lastHour, maxNodes: 16_384)
                }
            ),
            (
                "series24h", "series, \(hours) h, by service_name", 0,
                {
                    _ = try await query.selectSeries(
                        TimeSeriesQuery(
                            profileType: cpu, selector: LabelSelector(), startMs: startMs, endMs: endMs,
                            stepMs: 60_000, groupBy: ["service_name"]))
                }
            ),
            (
                "labelValues24h", "label values, \(hours) h", 0,
                {
                    _ = try await query.labelValues(name: "pod", selector: LabelSelector(), range: .milliseconds(startMs, endMs))
                }
            ),
        ]
        var results: [Result] = []
        print("query                                    samples      cold ms    p50 ms    p90 ms    p99 ms   M samples/s (p50)")
        for (key, name, n, body) in mix {
            var t = Date()
            try await body()
            let cold = Date().timeIntervalSince(t) * 1000
            var times: [Double] = []
            for _ in 0..<runs {
                t = Date()
                try await body()
                times.append(Date().timeIntervalSince(t) * 1000)
            }
            times.sort()
            func pct(_ p: Double) -> Double { times[min(times.count - 1, Int((Double(times.count - 1) * p).rounded()))] }
            let r = Result(
                key: key, name: name, samples: n, coldMs: cold, p50Ms: pct(0.5), p90Ms: pct(0.9), p99Ms: pct(0.99),
                samplesPerSecond: n > 0 ? Double(n) / (pct(0.5) / 1000) : 0)
            results.append(r)
            print(
                name.padding(toLength: 40, withPad: " ", startingAt: 0)
                    + String(
                        format: " %8.1fM %11.1f %9.1f %9.1f %9.1f %13.1f", Double(n) / 1e6, r.coldMs, r.p50Ms, r.p90Ms, r.p99Ms,
                        r.samplesPerSecond / 1e6))
        }
        if let exportRows {
            let t = Date()
            let rows = try await RowExport.write(blocks, type: cpu, to: exportRows)
            print(String(format: "exported %d sample rows to %@ in %.1f s", rows, exportRows, Date().timeIntervalSince(t)))
        }
        if let json {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            try e.encode(results).write(to: URL(fileURLWithPath: json))
        }
    }
}
