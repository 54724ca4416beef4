import ArgumentParser

/// Kiln's benchmark tool. Run release builds only:
/// `swift run -c release kiln-bench <subcommand>`.
@main
struct KilnBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln-bench",
        abstract: "Benchmarks Kiln's hot paths against baselines measured in the same run.",
        subcommands: [
            DecodeBenchmark.self, IngestBenchmark.self, ReplayBenchmark.self, BlockBenchmark.self, CompactBenchmark.self, ObjectStoreBenchmark.self,
            BucketQueryBenchmark.self, QueryBenchmark.self, KernelBenchmark.self,
        ]
    )
}
