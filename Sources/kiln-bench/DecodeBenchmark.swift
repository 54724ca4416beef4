import ArgumentParser
import Foundation
import KilnCompression
import KilnPprof
import KilnProto
import SwiftProtobuf

/// pprof decode throughput: Kiln's hand-written decoder against swift-protobuf's
/// generated decoder, on the same files, in the same process, alternating.
struct DecodeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "pprof decode throughput (MB/s of raw protobuf, samples/s), Kiln vs swift-protobuf."
    )

    @Argument(help: "pprof files (gzip or raw). Default: the real profiles in testdata/pprof.")
    var files: [String] = []

    @Option(help: "Seconds to spend on each measurement.")
    var seconds = 1.0

    @Option(help: "Measurements per decoder and file; the best is reported.")
    var rounds = 3

    func run() throws {
        let paths = files.isEmpty ? Self.defaultFiles() : files
        guard !paths.isEmpty else { throw ValidationError("no pprof files found; pass some") }
        print("decoder         file                                   raw KB  samples     MB/s  Msamples/s   ratio")
        var kilnBytes = 0.0
        var kilnTime = 0.0
        var baseBytes = 0.0
        var baseTime = 0.0
        var inputs = try paths.map { (URL(fileURLWithPath: $0).lastPathComponent, [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0)))) }
        if files.isEmpty {
            // One profile of the generated reference workload (kiln-bench ingest), for comparison.
            inputs.append(("reference workload", ReferenceWorkload().pprof(series: 0, index: 0, timeNanos: 1_700_000_000_000_000_000)))
        }
        for (name, bytes) in inputs {
            let raw = Gzip.isGzip(bytes) ? try Gzip.decompress(bytes) : bytes
            let samples = try PprofDecoder.decodeRaw(raw).sampleCount
            var bestKiln = Double.infinity
            var bestBase = Double.infinity
            var bestGzip = Double.infinity
            for _ in 0..<rounds {
                bestKiln = min(bestKiln, try Self.timePerDecode(seconds: seconds) { _ = try PprofDecoder.decodeRaw(raw) })
                bestBase = min(bestBase, try Self.timePerDecode(seconds: seconds) { _ = try Google_V1_Profile(serializedBytes: raw) })
                if Gzip.isGzip(bytes) {
                    bestGzip = min(bestGzip, try Self.timePerDecode(seconds: seconds) { _ = try PprofDecoder.decode(bytes) })
                }
            }
            var rows = [("kiln", bestKiln), ("swift-protobuf", bestBase)]
            if bestGzip.isFinite { rows.append(("kiln + gunzip", bestGzip)) }
            for (label, t) in rows {
                let cells = String(
                    format: "%7.1f %8d %8.1f %11.2f %7.2fx",
                    Double(raw.count) / 1024, samples, Double(raw.count) / t / 1e6, Double(samples) / t / 1e6, bestBase / t)
                print(label.padding(toLength: 16, withPad: " ", startingAt: 0) + name.padding(toLength: 38, withPad: " ", startingAt: 0) + cells)
            }
            kilnBytes += Double(raw.count)
            kilnTime += bestKiln
            baseBytes += Double(raw.count)
            baseTime += bestBase
        }
        print(
            String(
                format: "all files: kiln %.1f MB/s, swift-protobuf %.1f MB/s, kiln is %.2fx faster",
                kilnBytes / kilnTime / 1e6, baseBytes / baseTime / 1e6, baseTime / kilnTime))
    }

    /// MB/s are of the raw (uncompressed) protobuf for every row, so the
    /// "kiln + gunzip" row shows what ingest of a gzipped upload achieves.
    /// Runs `body` repeatedly for about `seconds` and returns the mean seconds per call.
    static func timePerDecode(seconds: Double, _ body: () throws -> Void) throws -> Double {
        try body()  // warm up
        var n = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            for _ in 0..<16 { try body() }
            n += 16
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return elapsed / Double(n)
    }

    static func defaultFiles() -> [String] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("testdata/pprof")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".pb") || $0.hasSuffix(".pb.gz") }.sorted().map { dir.appendingPathComponent($0).path }
    }
}
