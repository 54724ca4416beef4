import ArgumentParser
import Foundation
import KilnBytes
import KilnCompression
import KilnFormat
import KilnHead
import KilnModel
import KilnQuery
import KilnStorage

/// The query kernels alone, against the physical limits of this machine:
/// memory bandwidth, the page codecs' decode rates and CRC32C over the real
/// sample pages of the reference blocks, bit unpacking, and the scattered
/// `totals[id] += value`; then the whole 24 h merge, per core, to see how far
/// the engine is from the sum of its parts.
struct KernelBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Query kernels alone (codecs, CRC, unpacking, aggregation) against memory bandwidth, and the 24 h merge per core."
    )

    @Option(help: "Hours of the reference workload.") var hours = 24
    @Option(help: "Directory of the prepared blocks (written when it has none; reused otherwise).") var directory: String

    /// Best of `runs`, in seconds.
    static func time(_ runs: Int = 3, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<runs {
            let t = DispatchTime.now().uptimeNanoseconds
            try body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
        }
        return best
    }

    func run() async throws {
        let blocks = try await ReferenceBlocks.open(directory, hours: hours)
        func row(_ what: String, _ rate: String, _ note: String = "") {
            print(what.padding(toLength: 44, withPad: " ", startingAt: 0) + rate.padding(toLength: 24, withPad: " ", startingAt: 0) + note)
        }
        print("kernel (one core)                           rate                    notes")

        // Memory bandwidth: a streaming read (sum) and a copy of 512 MiB.
        let words = 64 << 20
        let big = [UInt64](repeating: 1, count: words)
        var sink: UInt64 = 0
        let readSeconds = Self.time { sink &+= big.withUnsafeBufferPointer { p in p.reduce(0, &+) } }
        var copy = [UInt64](repeating: 0, count: words)
        let copySeconds = Self.time { copy.withUnsafeMutableBytes { d in big.withUnsafeBytes { s in d.copyMemory(from: s) } } }
        let readBandwidth = Double(words * 8) / readSeconds
        row("memory read (sum of 512 MiB)", String(format: "%.1f GB/s", readBandwidth / 1e9))
        row("memory copy (512 MiB)", String(format: "%.1f GB/s", Double(words * 8) / copySeconds / 1e9))

        // The sample pages of every block, as stored.
        var pages: [(header: PageHeader, bytes: [UInt8], body: [UInt8])] = []
        for b in blocks {
            guard let dir = b.localDirectory else { continue }
            let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + BlockSchema.profilesFile)))
            let columnar = try ColumnarFile(bytes: file)
            guard let samples = columnar.table("samples") else { continue }
            for c in 0..<2 {
                for page in samples.pages(column: c) {
                    let bytes = Array(file[page.range])
                    let header = try bytes.withDecodableBytes { buffer throws(DecodeError) in
                        var r = ByteReader(buffer)
                        return try Page.decodeHeader(&r, type: .uint64)
                    }
                    pages.append((header, bytes, Array(bytes[header.headerSize...])))
                }
            }
        }
        let rows = pages.reduce(0) { $0 + $1.header.rows } / 2
        let storedBytes = pages.reduce(0) { $0 + $1.bytes.count }
        row(
            "sample pages", String(format: "%.1f M samples", Double(rows) / 1e6),
            String(format: "%.1f MB stored, %d pages", Double(storedBytes) / 1e6, pages.count))

        for codec in [PageCodec.lz4, .zstd] {
            let chosen = pages.filter { $0.header.codec == codec }
            guard !chosen.isEmpty else { continue }
            let raw = chosen.reduce(0) { $0 + $1.header.rawSize }
            let seconds = try Self.time {
                for p in chosen {
                    _ =
                        codec == .lz4
                        ? try LZ4.decompress(p.body, decompressedSize: p.header.rawSize)
                        : try Zstd.decompress(p.body, decompressedSize: p.header.rawSize)
                }
            }
            row(
                "\(codec.name) decode", String(format: "%.2f GB/s out", Double(raw) / seconds / 1e9),
                String(
                    format: "%.0f M values/s (%.2f B per value raw)", Double(chosen.reduce(0) { $0 + $1.header.rows }) / seconds / 1e6,
                    Double(raw) / Double(chosen.reduce(0) { $0 + $1.header.rows })))
        }
        let crcSeconds = Self.time { for p in pages { sink &+= UInt64(CRC32C.checksum(p.bytes)) } }
        row("CRC32C", String(format: "%.1f GB/s", Double(storedBytes) / crcSeconds / 1e9))
        // As queries decode: one PageDecoder reused across pages; against a fresh decoder (fresh buffers) per page.
        var decodeSeconds = 0.0
        for reused in [false, true] {
            var decoder = PageDecoder()
            decodeSeconds = try Self.time {
                for p in pages {
                    if !reused { decoder = PageDecoder() }
                    try p.bytes.withDecodableBytes { buffer throws(DecodeError) in
                        var r = ByteReader(buffer)
                        _ = try decoder.decode(&r, type: .uint64)
                    }
                    sink &+= UInt64(decoder.values.count)
                }
            }
            row(
                "whole page decode (CRC, codec, encoding)" + (reused ? ", reused buffers" : ", fresh buffers"),
                String(format: "%.0f M samples/s", Double(rows) / decodeSeconds / 1e6),
                String(format: "stack and value columns; %.0f M values/s", Double(rows * 2) / decodeSeconds / 1e6))
        }

        // Bit unpacking and aggregation, on synthetic columns of the blocks' shape.
        let n = 32 << 20
        var rng = SystemRandomNumberGenerator()
        let width = 17
        let ids = (0..<n).map { _ in UInt64.random(in: 0..<(1 << 17), using: &rng) }
        // Random bits: unpacking does not look at the values, only at their width.
        let packed = (0..<((n * width + 7) / 8)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        var unpacked = [UInt64](repeating: 0, count: n)
        let unpackSeconds = Self.time {
            packed.withUnsafeBytes { src in
                unpacked.withUnsafeMutableBufferPointer { BitUnpacker.unpack(count: n, width: width, from: src, into: $0.baseAddress!) }
            }
        }
        row(
            "bit unpacking (17-bit values)", String(format: "%.0f M values/s", Double(n) / unpackSeconds / 1e6),
            String(format: "%.1f GB/s written", Double(n * 8) / unpackSeconds / 1e9))
        let stackCount = blocks.map { $0.symbols.stackCount }.max() ?? 1 << 17
        let values = [UInt64](repeating: 10_000_000, count: n)
        let randomIDs = ids.map { $0 % UInt64(stackCount) }
        var totals = StackTotals(stackCount: stackCount)
        let addSeconds = Self.time { totals.add(stacks: randomIDs[...], values: values[...]) }
        row(
            "totals[id] += value (random ids)", String(format: "%.0f M samples/s", Double(n) / addSeconds / 1e6),
            String(format: "%d stack ids (%.1f MB of totals)", stackCount, Double(stackCount * 8) / 1e6))
        let sortedIDs = randomIDs.sorted()
        let sortedSeconds = Self.time { totals.add(stacks: sortedIDs[...], values: values[...]) }
        row(
            "totals[id] += value (sorted ids)", String(format: "%.0f M samples/s", Double(n) / sortedSeconds / 1e6),
            String(format: "bound: 16 B read per sample -> %.0f M/s", readBandwidth / 16 / 1e6))

        // The whole merge, both cores, and per core.
        let cpu = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        let query = Query(sources: blocks)
        let samples = blocks.reduce(0) { $0 + $1.sampleCount(of: $1.select(Query.typed(LabelSelector(), cpu)), in: .all) }
        var best = Double.infinity
        for _ in 0..<3 {
            let t = Date()
            _ = try await query.mergeStacktraces(profileType: cpu, selector: LabelSelector(), range: .all, maxNodes: 16_384)
            best = min(best, Date().timeIntervalSince(t))
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let rate: Double = Double(samples) / best
        print("")
        print(
            String(
                format: "%d h whole-tenant merge: %.1f M samples in %.0f ms = %.0f M samples/s on %d cores, %.0f M/s per core",
                hours, Double(samples) / 1e6, best * 1000, rate / 1e6, cores, rate / 1e6 / Double(cores)))
        let decodeRate: Double = Double(rows) / decodeSeconds
        let addRate: Double = Double(n) / addSeconds
        let serial: Double = 1 / (1 / decodeRate + 1 / addRate)
        print(String(format: "  the kernels above in series (decode both columns + add) would give %.0f M samples/s per core", serial / 1e6))
        if sink == 42 { print("") }
        _ = copy.count
    }
}
