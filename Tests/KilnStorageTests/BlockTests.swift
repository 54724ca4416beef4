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

/// Blocks answer exactly as the head they were cut from, alone and through
/// the ingester's cut, restart and crash paths.
@Suite struct BlockTests {
    static let start: Int64 = 1_700_000_000_000_000_000

    /// The six real Go profiles pushed by three services over 20 minutes,
    /// each push with its own time (set in the pprof, as agents do). They
    /// are marked as deltas (`__delta__="false"`): the same cumulative
    /// profile pushed again would otherwise store nothing new
    /// (`CumulativeDeltaTests` covers that), and these tests are about blocks.
    static func pushes() throws -> [(labels: [Label], bytes: [UInt8], time: Int64)] {
        var out: [(labels: [Label], bytes: [UInt8], time: Int64)] = []
        let names = [
            "go-cpu.pb.gz": "process_cpu", "go-heap.pb.gz": "memory", "go-allocs.pb.gz": "memory",
            "go-goroutine.pb.gz": "goroutine", "go-mutex.pb.gz": "mutex", "go-block.pb.gz": "block",
        ]
        for minute in 0..<20 {
            for (file, name) in names.sorted(by: { $0.key < $1.key }) {
                let service = "svc-\(minute % 3)"
                let time = start + Int64(minute) * 60_000_000_000 + Int64(file.count)
                var profile = try PprofDecoder.decode(try TestData.bytes("pprof/" + file))
                profile.timeNanos = time
                out.append(
                    (
                        [
                            Label("__name__", name), Label("service_name", service), Label("env", minute % 2 == 0 ? "prod" : "dev"),
                            Label("__delta__", "false"),
                        ],
                        PprofEncoder.encode(profile), time
                    ))
            }
        }
        return out
    }

    static func ingest(_ p: (labels: [Label], bytes: [UInt8], time: Int64)) throws -> IngestProfile {
        try PushConverter.convert(labels: p.labels, rawProfile: p.bytes, id: "", nowNanos: p.time)
    }

    /// Every query API's answer, for comparing sources.
    struct Answers: Equatable {
        var types: [String] = []
        var names: [String] = []
        var values: [String] = []
        var series: [LabelSet] = []
        var graphs: [FlameGraph] = []
        var timeSeries: [[TimeSeries]] = []
        var oldest: Int64 = 0
        var newest: Int64 = 0
    }

    static func answers(_ q: Query) async throws -> Answers {
        var a = Answers()
        let types = try await q.profileTypes(range: .all)
        a.types = types.map(\.id)
        a.names = try await q.labelNames(selector: LabelSelector(), range: .all)
        a.values = try await q.labelValues(name: "service_name", selector: try LabelSelector(parsing: #"{env="prod"}"#), range: .all)
        a.series = try await q.series(selector: LabelSelector(), labelNames: [], range: .all)
        let partial = TimeRange.milliseconds(start / 1_000_000 + 5 * 60_000, start / 1_000_000 + 12 * 60_000)
        for t in types {
            for (selector, range) in [("{}", TimeRange.all), (#"{service_name="svc-1"}"#, .all), (#"{env=~"p.*"}"#, partial)] {
                a.graphs.append(
                    try await q.mergeStacktraces(profileType: t, selector: try LabelSelector(parsing: selector), range: range, maxNodes: 16_384))
            }
            a.timeSeries.append(
                try await q.selectSeries(
                    TimeSeriesQuery(
                        profileType: t, selector: LabelSelector(), startMs: start / 1_000_000,
                        endMs: start / 1_000_000 + 20 * 60_000, stepMs: 60_000, groupBy: ["service_name"])))
        }
        let stats = try await q.stats()
        (a.oldest, a.newest) = (stats.oldestMs, stats.newestMs)
        return a
    }

    static func temporaryDirectory() -> String { TestData.scratchDirectory("kiln-block-test") }

    @Test(arguments: [PageCodec.lz4, .zstd])
    func blockAnswersEqualTheHead(_ codec: PageCodec) async throws {
        var head = HeadState()
        for p in try Self.pushes() { head.append(try Self.ingest(p)) }
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ulid = ULID.make(milliseconds: 1)
        let meta = try BlockWriter.write(head, tenant: "t", ulid: ulid, directory: dir, codec: codec)
        #expect(meta.stats.profiles == head.profileCount && meta.stats.samples == head.sampleCount)
        let block = try await Block(path: dir + "/" + ulid.string)
        #expect(block.meta == meta)
        let expected = try await Self.answers(Query(sources: [head]))
        #expect(expected.graphs.count == 3 * expected.types.count && expected.graphs.filter { $0.total > 0 }.count > expected.types.count)
        #expect(try await Self.answers(Query(sources: [block])) == expected)
        // Split across a block and a head, the answers are the same again.
        var first = HeadState()
        var second = HeadState()
        for (i, p) in try Self.pushes().enumerated() {
            if i % 2 == 0 { first.append(try Self.ingest(p)) } else { second.append(try Self.ingest(p)) }
        }
        let half = ULID.make(milliseconds: 2)
        _ = try BlockWriter.write(first, tenant: "t", ulid: half, directory: dir, codec: codec)
        #expect(try await Self.answers(Query(sources: [second, try await Block(path: dir + "/" + half.string)])) == expected)
    }

    /// Push, cut, push more, restart: the same answers at every point, blocks
    /// on disk, the WAL trimmed to what the blocks do not hold.
    @Test func cutAndRestartKeepEveryAnswer() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pushes = try Self.pushes()
        let reference = try Self.head(pushes[...])
        let expected = try await Self.answers(Query(sources: [reference]))

        let logger = Logger(label: "test")
        var ingester: Ingester? = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", logger: logger)
        for p in pushes[..<60] { try await ingester!.push([try Self.ingest(p)], tenant: "t") }
        let metas = try await ingester!.cut()
        #expect(metas.count == 1 && metas[0].stats.profiles > 0)
        for p in pushes[60...] { try await ingester!.push([try Self.ingest(p)], tenant: "t") }
        #expect(try await Self.answers(Query(ingester!.heads.existingHead(for: "t"))) == expected)
        ingester!.close()
        ingester = nil

        let reopened = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", logger: logger)
        defer { reopened.close() }
        #expect(reopened.heads.existingHead(for: "t")?.blocks.count == 1)
        #expect(try await Self.answers(Query(reopened.heads.existingHead(for: "t"))) == expected)
        // The WAL now starts at the cut's checkpoint.
        let segments = try WALSegments.list(dir + "/wal")
        #expect(try WALScanner.checkpoint(dir + "/wal", segment: segments[0]) != nil)
    }

    /// The cut rules: by age of the head's first profile and by estimated size.
    @Test func cutsWhenTheHeadIsOldOrLarge() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ingester = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", logger: Logger(label: "test"))
        defer { ingester.close() }
        let pushes = try Self.pushes()
        #expect(try await ingester.cutIfDue(.init(maxAge: .zero, maxBytes: 1)).isEmpty, "nothing to cut while empty")
        for p in pushes[..<10] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
        let bytes = try #require(ingester.heads.existingHead(for: "t")).liveUsage.bytes
        #expect(bytes > 10_000)
        #expect(try await ingester.cutIfDue(.init(maxAge: .seconds(3600), maxBytes: bytes + 1)).isEmpty)
        #expect(try await ingester.cutIfDue(.init(maxAge: .seconds(3600), maxBytes: bytes)).count == 1, "by size")
        for p in pushes[10..<20] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
        try await Task.sleep(for: .milliseconds(20))
        #expect(try await ingester.cutIfDue(.init(maxAge: .milliseconds(10), maxBytes: 1 << 40)).count == 1, "by age")
        #expect(ingester.heads.existingHead(for: "t")?.blocks.count == 2)
    }

    /// A crash at each step of a cut loses nothing and duplicates nothing:
    /// after a restart the answers are the same and each cut block exists
    /// once, owned by the ingester (a rebuilt one too).
    @Test(arguments: Ingester.CutStep.allCases)
    func crashDuringACutLosesNothing(_ step: Ingester.CutStep) async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pushes = try Self.pushes()
        let reference = try Self.head(pushes[...])
        let expected = try await Self.answers(Query(sources: [reference]))
        let logger = Logger(label: "test")

        let ingester = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", id: "i-1", logger: logger)
        for p in pushes[..<40] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
        _ = try await ingester.cut()  // an earlier, complete cut
        for p in pushes[40..<90] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
        await #expect(throws: StorageError.self) { try await ingester.cut(failAfter: step) }
        // Still answering in full before the "crash".
        #expect(try await Self.answers(Query(ingester.heads.existingHead(for: "t"))) == Self.answers(Query(sources: [Self.head(pushes[..<90])])))
        for p in pushes[90...] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
        ingester.close()

        let reopened = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", id: "i-1", logger: logger)
        defer { reopened.close() }
        let head = try #require(reopened.heads.existingHead(for: "t"))
        #expect(head.blocks.count == 2 && head.blocks.allSatisfy { $0.meta.ingester == "i-1" })
        #expect(head.blocks.reduce(0) { $0 + $1.meta.stats.profiles } + head.read { $0.profileCount } == reference.profileCount)
        #expect(try await Self.answers(Query(head)) == expected)
        #expect(try FileIO.list(dir + "/blocks/t").allSatisfy { !$0.hasSuffix(".tmp") })
    }

    /// Three overlapping blocks (B repeats ten of A's pushes) merge into one
    /// cold block that answers as the deduplicated union; the sources go.
    @Test func compactionMergesDeduplicatesAndReplacesItsSources() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pushes = try Self.pushes()
        let expected = try await Self.answers(Query(sources: [Self.head(pushes[...])]))
        let tenantDir = dir + "/blocks/t"
        try FileManager.default.createDirectory(atPath: tenantDir, withIntermediateDirectories: true)
        var sources: [Block] = []
        for (i, range) in [0..<40, 30..<80, 80..<120].enumerated() {
            let ulid = ULID.make(milliseconds: UInt64(i + 1))
            _ = try BlockWriter.write(try Self.head(pushes[range]), tenant: "t", ulid: ulid, directory: tenantDir, codec: .lz4)
            sources.append(try await Block(path: tenantDir + "/" + ulid.string))
        }
        #expect(try await Self.answers(Query(sources: sources)) != expected, "the overlap double-counts before compaction")
        let meta = try BlockCompactor.compact(sources, tenant: "t", ulid: ULID.make(milliseconds: 9), directory: tenantDir)
        #expect(meta.level == 2 && meta.codec == "zstd" && meta.sources == sources.map(\.ulid))
        let merged = try await Block(path: tenantDir + "/" + meta.ulid)
        #expect(try merged.meta.stats.profiles == Self.head(pushes[...]).profileCount)
        #expect(try await Self.answers(Query(sources: [merged])) == expected)

        // A crash before the sources were deleted: start-up deletes them.
        let ingester = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", logger: Logger(label: "test"))
        #expect(ingester.heads.existingHead(for: "t")?.blocks.map(\.ulid) == [meta.ulid])
        #expect(try FileIO.list(tenantDir) == [meta.ulid])
        #expect(try await Self.answers(Query(ingester.heads.existingHead(for: "t"))) == expected)

        // Through the ingester: a new cut makes the merged block's window closed
        // for a 1 h planner range, and compaction rewrites the rest.
        for p in pushes[..<5] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
        try await ingester.cut()
        let written = try await ingester.compact(.init(planner: CompactionPlanner(ranges: [1 << 62])))
        #expect(written.isEmpty, "windows are not closed yet")
        ingester.close()
    }

    /// Shipping: files then meta.json, a marker, resume after an interrupted
    /// upload, and compaction replacing its sources in the bucket too.
    @Test func blocksAreShippedAndResumeAfterACrash() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = MemoryObjectStore()
        let pushes = try Self.pushes()
        var ingester = try await Ingester(
            walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", objectStore: bucket, logger: Logger(label: "test"))
        for p in pushes[..<30] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
        let first = try await ingester.cut()[0]
        #expect(await ingester.shipPending() == [first.ulid])
        #expect(await ingester.shipPending().isEmpty, "shipped once")
        let keys = try await bucket.listAll(prefix: "t/blocks/\(first.ulid)/").map(\.key)
        #expect(Set(keys) == Set(["index.kcol", "meta.json", "profiles.kcol", "symbols.kcol"].map { "t/blocks/\(first.ulid)/\($0)" }))
        let local = try FileIO.read(dir + "/blocks/t/\(first.ulid)/profiles.kcol")
        #expect(try await bucket.get("t/blocks/\(first.ulid)/profiles.kcol") == local)

        // A second block whose upload "crashed" after one file: no marker, no meta.json in the bucket.
        for p in pushes[30..<60] { try await ingester.push([try Self.ingest(p)], tenant: "t") }
        let second = try await ingester.cut()[0]
        try await bucket.put("t/blocks/\(second.ulid)/index.kcol", try FileIO.read(dir + "/blocks/t/\(second.ulid)/index.kcol"))
        ingester.close()
        ingester = try await Ingester(walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", objectStore: bucket, logger: Logger(label: "test"))
        #expect(await ingester.shipPending() == [second.ulid])
        #expect(try await bucket.size("t/blocks/\(second.ulid)/meta.json") != nil)

        // Compaction: a block in a later window closes the first; the merged
        // block is in the bucket before its sources leave it.
        var late = try PprofDecoder.decode(pushes[0].bytes)
        late.timeNanos = 2_400_000_000_000_000_000
        try await ingester.push(
            [try PushConverter.convert(labels: pushes[0].labels, rawProfile: PprofEncoder.encode(late), id: "", nowNanos: 0)], tenant: "t")
        _ = try await ingester.cut()
        await ingester.shipPending()
        let merged = try await ingester.compact(.init(planner: CompactionPlanner(ranges: [1 << 61])))
        #expect(merged.count == 1 && Set(merged[0].sources) == Set([first.ulid, second.ulid]))
        let metas = try await bucket.listAll(prefix: "t/blocks/").map(\.key).filter { $0.hasSuffix("/meta.json") }
        #expect(metas.count == 2 && metas.contains("t/blocks/\(merged[0].ulid)/meta.json"), "\(metas)")
        #expect(try await bucket.listAll(prefix: "t/blocks/\(first.ulid)/").isEmpty)
        #expect(try await bucket.listAll(prefix: "t/blocks/\(second.ulid)/").isEmpty)
        ingester.close()
    }

    static func head(_ pushes: ArraySlice<(labels: [Label], bytes: [UInt8], time: Int64)>) throws -> HeadState {
        var h = HeadState()
        for p in pushes { h.append(try ingest(p)) }
        return h
    }
}
