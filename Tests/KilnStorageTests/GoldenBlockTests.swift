import Foundation
import KilnFormat
import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnQuery
import KilnTestSupport
import Logging
import Testing

@testable import KilnStorage

/// The golden blocks of testdata/blocks/: one hot (lz4) and one cold (zstd)
/// block of format version 1 (and the hot one's data owned by an ingester), read by this test for as long as Kiln reads
/// version 1. `KILN_REGENERATE_GOLDEN=1 swift test --filter GoldenBlockTests`
/// rewrites them (only when the writer's output legitimately changes).
@Suite struct GoldenBlockTests {
    static let hot = ULID(milliseconds: 1_700_000_000_000, random: (0x0123_4567_89AB_CDEF, 0x4242))
    static let cold = ULID(milliseconds: 1_700_000_360_000, random: (0x0FED_CBA9_8765_4321, 0x2424))

    /// Two services pushing the real Go CPU (2 sample types) and heap (4)
    /// profiles three times: 12 series, 18 profiles. Without their sample
    /// labels, as the blocks were written before ingest split profiles by them.
    static func head() throws -> HeadState {
        var head = HeadState()
        for i in 0..<3 {
            for (file, name) in [("go-cpu.pb.gz", "process_cpu"), ("go-heap.pb.gz", "memory")] {
                let labels = [Label("__name__", name), Label("service_name", "svc-\(i % 2)"), Label("region", "eu")]
                head.append(
                    try PushConverter.convert(
                        labels: labels, rawProfile: TestData.withoutSampleLabels("pprof/" + file), id: "",
                        nowNanos: 1_700_000_000_000_000_000 + Int64(i) * 15_000_000_000))
            }
        }
        return head
    }

    /// Written since blocks have owners: the hot block's data, owned by ingester `ingester-1`.
    static let owned = ULID(milliseconds: 1_700_001_080_000, random: (0x0A11_CE00_0000_0001, 0x1111))

    /// The hot and cold blocks have no owner (written before owners existed).
    static func cases() -> [(ulid: ULID, codec: PageCodec, ingester: String?)] {
        [(hot, .lz4, nil), (cold, .zstd, nil), (owned, .lz4, "ingester-1")]
    }

    @Test func goldenBlocksAreCurrent() async throws {
        let head = try Self.head()
        let dir = NSTemporaryDirectory() + "kiln-golden-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (ulid, codec, ingester) in Self.cases() {
            _ = try BlockWriter.write(head, tenant: "golden", ulid: ulid, directory: dir, codec: codec, ingester: ingester)
            for name in [BlockSchema.indexFile, BlockSchema.symbolsFile, BlockSchema.profilesFile, BlockSchema.metaFile] {
                let written = try FileIO.read(dir + "/" + ulid.string + "/" + name)
                let golden = TestData.url("blocks/" + ulid.string + "/" + name)
                if ProcessInfo.processInfo.environment["KILN_REGENERATE_GOLDEN"] == "1" {
                    try FileManager.default.createDirectory(at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(written).write(to: golden)
                }
                #expect(try TestData.bytes("blocks/" + ulid.string + "/" + name) == written, "\(ulid) \(name)")
            }
        }
    }

    /// A hot block written since profiles carry spans: the real Go CPU
    /// profile with its `worker` sample labels (which split it into series)
    /// and a `span_id` on two of every three samples, pushed twice.
    static let spans = ULID(milliseconds: 1_700_000_720_000, random: (0x5EA5_0000_0000_0001, 0x5151))
    static let spanIDs: [UInt64] = [0x0102_0304_0506_0708, 0xFEDC_BA98_7654_3210]

    static func spanHead() throws -> HeadState {
        var p = try PprofDecoder.decode(try TestData.bytes("pprof/go-cpu.pb.gz"))
        let key = p.strings.append("span_id")
        let values = spanIDs.map { p.strings.append(SpanID.format($0)) }
        var labels: [SampleLabel] = []
        var offsets: [UInt32] = [0]
        for i in 0..<p.sampleCount {
            labels += p.labels(ofSample: i)
            if i % 3 != 2 { labels.append(SampleLabel(key: key, str: values[i % 3])) }
            offsets.append(UInt32(labels.count))
        }
        (p.sampleLabels, p.sampleLabelOffsets) = (labels, offsets)
        var head = HeadState()
        for i in 0..<2 {
            p.timeNanos = 1_700_000_720_000_000_000 + Int64(i) * 15_000_000_000
            head.append(
                try PushConverter.convert(
                    labels: [Label("__name__", "process_cpu"), Label("service_name", "svc-\(i)")],
                    rawProfile: PprofEncoder.encode(p), id: "", nowNanos: 0))
        }
        return head
    }

    @Test func spanGoldenBlockIsCurrentAndReadForever() async throws {
        let head = try Self.spanHead()
        let dir = NSTemporaryDirectory() + "kiln-golden-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try BlockWriter.write(head, tenant: "golden", ulid: Self.spans, directory: dir, codec: .lz4)
        for name in [BlockSchema.indexFile, BlockSchema.symbolsFile, BlockSchema.profilesFile, BlockSchema.metaFile] {
            let written = try FileIO.read(dir + "/" + Self.spans.string + "/" + name)
            let golden = TestData.url("blocks/" + Self.spans.string + "/" + name)
            if ProcessInfo.processInfo.environment["KILN_REGENERATE_GOLDEN"] == "1" {
                try FileManager.default.createDirectory(at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(written).write(to: golden)
            }
            #expect(try TestData.bytes("blocks/" + Self.spans.string + "/" + name) == written, "\(Self.spans) \(name)")
        }

        let block = try await Block(path: TestData.url("blocks/" + Self.spans.string).path)
        #expect(block.hasSpans && block.meta.stats.series == 16)
        let cpu = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        #expect(try await BlockTests.answers(Query(sources: [block])) == BlockTests.answers(Query(sources: [head])))
        let whole = try await Query(sources: [block]).mergeStacktraces(profileType: cpu, selector: LabelSelector(), range: .all, maxNodes: 1000)
        #expect(whole.total == 2 * 9_910_000_000)
        var bySpan: Int64 = 0
        for id in Self.spanIDs + [0x99] {
            let spans = SpanSelector(ids: [id])
            let fromBlock = try await Query(sources: [block]).mergeStacktraces(
                profileType: cpu, selector: LabelSelector(), range: .all, maxNodes: 1000, spans: spans)
            let fromHead = try await Query(sources: [head]).mergeStacktraces(
                profileType: cpu, selector: LabelSelector(), range: .all, maxNodes: 1000, spans: spans)
            #expect(fromBlock == fromHead && (id == 0x99) == (fromBlock == .empty), "span \(id)")
            bySpan += fromBlock.total
        }
        // Every third sample has no span: the spans hold the rest.
        #expect(bySpan > 0 && bySpan < whole.total)
    }

    @Test func goldenBlocksReadForever() async throws {
        let expected = try await BlockTests.answers(Query(sources: [try Self.head()]))
        for (ulid, codec, ingester) in Self.cases() {
            let block = try await Block(path: TestData.url("blocks/" + ulid.string).path)
            #expect(block.meta.version == 1 && block.meta.codec == codec.name && block.meta.tenant == "golden" && block.meta.ingester == ingester)
            #expect(block.meta.stats.series == 12 && block.meta.stats.profiles == 18 && block.meta.stats.samples == 2916)
            #expect(try await BlockTests.answers(Query(sources: [block])) == expected)
            // Cut into units of a few profiles, merged by parallel tasks: the same answers.
            var split = Query(sources: [block, try Self.head(), block])
            split.samplesPerUnit = 100
            var whole = Query(sources: [block, try Self.head(), block])
            whole.samplesPerUnit = .max
            #expect(try await BlockTests.answers(split) == BlockTests.answers(whole))
        }
    }

    /// Corrupt blocks at run time: each case is reported with its file and
    /// offset — at open (then the block is skipped at start-up) or when a
    /// query reads the bad page (then the query skips the block) — never a crash.
    static let corruptions: [(name: String, file: String, damage: @Sendable ([UInt8]) -> [UInt8], atOpen: Bool)] = [
        ("truncated file", BlockSchema.profilesFile, { Array($0.prefix($0.count - 7)) }, true),
        (
            "bad footer", BlockSchema.indexFile,
            {
                var b = $0
                b[b.count - 13] ^= 0x5A
                return b
            }, true
        ),
        (
            "bad page CRC", BlockSchema.profilesFile,
            {
                var b = $0
                b[b.count / 3] ^= 0x01
                return b
            }, false
        ),
        ("unknown encoding", BlockSchema.profilesFile, { b in Self.damageSamplePage(b) { $0[$0.startIndex] = 42 } }, false),
        ("bad meta.json", BlockSchema.metaFile, { Array($0.prefix(10)) }, true),
    ]

    /// Applies `change` to the header of the first page of the samples table's stack column.
    static func damageSamplePage(_ bytes: [UInt8], _ change: (inout ArraySlice<UInt8>) -> Void) -> [UInt8] {
        guard let file = try? ColumnarFile(bytes: bytes), let page = file.table("samples")?.pages(column: 0).first else { return bytes }
        var b = bytes
        change(&b[page.offset...])
        return b
    }

    @Test(arguments: corruptions.indices)
    func corruptBlocksAreReportedAndSkipped(_ i: Int) async throws {
        let c = Self.corruptions[i]
        let dir = NSTemporaryDirectory() + "kiln-corrupt-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let blockDir = dir + "/blocks/golden/" + Self.hot.string
        try FileManager.default.createDirectory(atPath: dir + "/blocks/golden", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestData.url("blocks/" + Self.hot.string).path, toPath: blockDir)
        let path = blockDir + "/" + c.file
        try Data(c.damage(try FileIO.read(path))).write(to: URL(fileURLWithPath: path))

        if c.atOpen {
            await #expect(throws: (any Error).self, "\(c.name)") { try await Block(path: blockDir) }
            // Start-up skips it and keeps serving.
            let ingester = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", logger: Logger(label: "test"))
            defer { ingester.close() }
            #expect(ingester.heads.existingHead(for: "golden")?.blocks.isEmpty ?? true)
            return
        }
        let block = try await Block(path: blockDir)
        var reported: [String] = []
        // In units of a few profiles: the bad page fails one unit, the block is reported once.
        var query = Query(sources: [block]) { error in reported.append("\(error)") }
        query.samplesPerUnit = 50
        let graph = try await query.mergeStacktraces(
            profileType: try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds"),
            selector: LabelSelector(), range: .all, maxNodes: 100)
        #expect(graph == .empty, "\(c.name): the corrupt block contributes nothing")
        #expect(reported.count == 1 && reported[0].contains(BlockSchema.profilesFile) && reported[0].contains("at byte"), "\(c.name): \(reported)")
    }
}
