import Foundation
import KilnBytes
import KilnFormat
import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnStorage
import KilnTestSupport
import Logging
import Testing

/// The head is a projection of the log: replaying the WAL rebuilds it exactly.
@Suite struct WALReplayTests {
    static let logger = Logger(label: "test")

    static func tempDir() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kiln-wal-\(UUID().uuidString)")
    }

    /// A random push: 1–3 profiles of random stacks over a small vocabulary,
    /// random label values, one or two sample types, occasional zero and negative values.
    static func randomPush(_ rng: inout SeededRandom) throws -> [IngestProfile] {
        let frames = (0..<12).map { "fn\($0)" }
        return try (0..<Int.random(in: 1...3, using: &rng)).map { _ in
            let twoTypes = Bool.random(using: &rng)
            var b = ProfileBuilder(sampleTypes: twoTypes ? [("alloc_objects", "count"), ("alloc_space", "bytes")] : [("cpu", "nanoseconds")])
            for _ in 0..<Int.random(in: 1...20, using: &rng) {
                let depth = Int.random(in: 1...6, using: &rng)
                let stack = (0..<depth).map { _ in frames.randomElement(using: &rng)! }
                let v = Int64.random(in: -2...1000, using: &rng)
                b.addSample(stack: stack, values: twoTypes ? [v, v * 7] : [v])
            }
            let labels = [
                Label("__name__", twoTypes ? "memory" : "process_cpu"),
                Label("service_name", "svc\(Int.random(in: 0..<4, using: &rng))"),
                Label("pod", "p\(Int.random(in: 0..<3, using: &rng))"),
            ]
            let (base, name, _) = try SeriesLabels.normalise(labels)
            let p = b.build()
            return IngestProfile(
                profile: p, series: SeriesLabels.targets(base: base, name: name, profile: p),
                timeNanos: Int64.random(in: 1_700_000_000...1_700_003_600, using: &rng) * 1_000_000_000, durationNanos: 0)
        }
    }

    /// Everything a head holds, in a comparable form.
    struct Snapshot: Equatable {
        var series: [String] = []
        var columns: [[Int64]] = []
        var strings: [String] = []
        var functions: [FunctionSymbol] = []
        var mappings: [MappingSymbol] = []
        var locations: [LocationSymbol] = []
        var stackParents: [UInt32] = []
        var stackLocations: [UInt32] = []
        var sampleStacks: [UInt32] = []
        var sampleValues: [Int64] = []

        init(_ h: borrowing HeadState) {
            for s in h.series {
                series.append("\(s.ref) \(s.labels) \(s.profileType)")
                columns.append(s.timeNanos + s.durationNanos + s.totals + s.sampleStarts.map(Int64.init) + s.sampleCounts.map(Int64.init))
            }
            strings = h.symbols.strings
            functions = h.symbols.functions
            mappings = h.symbols.mappings
            locations = h.symbols.locations
            stackParents = h.symbols.stacks.parents
            stackLocations = h.symbols.stacks.locations
            sampleStacks = h.sampleStacks
            sampleValues = h.sampleValues
        }
    }

    static func snapshot(_ heads: TenantHeads, tenants: [String]) -> [String: Snapshot] {
        var out: [String: Snapshot] = [:]
        for t in tenants { out[t] = heads.existingHead(for: t)?.read { Snapshot($0) } }
        return out
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func replayRebuildsTheHeadExactly(seed: UInt64) async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SeededRandom(seed: seed)
        let tenants = ["a", "b", "c"]
        var options = WriteAheadLog.Options()
        options.segmentSize = 1 << 14  // small segments: the sequence spans several
        let before: [String: Snapshot]
        do {
            let ingester = try await Ingester(walDirectory: dir.path, options: options, logger: Self.logger)
            for _ in 0..<60 {
                try await ingester.push(try Self.randomPush(&rng), tenant: tenants.randomElement(using: &rng)!)
            }
            before = Self.snapshot(ingester.heads, tenants: tenants)
            ingester.close()
        }
        #expect(try WALSegments.list(dir.path).count > 1)
        let replayed = try await Ingester(walDirectory: dir.path, options: options, logger: Self.logger)
        defer { replayed.close() }
        #expect(replayed.replay?.records == 60)
        #expect(replayed.replay?.truncatedTail == nil)
        #expect(Self.snapshot(replayed.heads, tenants: tenants) == before)
        // New pushes after replay continue the same ids in a new segment.
        try await replayed.push(try Self.randomPush(&rng), tenant: "a")
    }

    @Test func concurrentPushesShareSyncs() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = WriteAheadLog.Options()
        options.sync = .group(maxBatchDelay: .milliseconds(5))
        let ingester = try await Ingester(walDirectory: dir.path, options: options, logger: Self.logger)
        var rng = SeededRandom(seed: 42)
        let pushes = try (0..<200).map { _ in try Self.randomPush(&rng) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, p) in pushes.enumerated() {
                group.addTask { try await ingester.push(p, tenant: "t\(i % 3)") }
            }
            try await group.waitForAll()
        }
        let stats = try #require(ingester.walStats)
        #expect(stats.records == 200)
        #expect(stats.syncs < 200, "group commit: \(stats.syncs) syncs for 200 records")
        let before = Self.snapshot(ingester.heads, tenants: ["t0", "t1", "t2"])
        ingester.close()
        let replayed = try await Ingester(walDirectory: dir.path, logger: Self.logger)
        defer { replayed.close() }
        #expect(Self.snapshot(replayed.heads, tenants: ["t0", "t1", "t2"]) == before)
    }

    @Test func intervalModeAcknowledgesAndPersists() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = WriteAheadLog.Options()
        options.sync = .interval(.milliseconds(50))
        var rng = SeededRandom(seed: 7)
        let ingester = try await Ingester(walDirectory: dir.path, options: options, logger: Self.logger)
        for _ in 0..<20 { try await ingester.push(try Self.randomPush(&rng), tenant: "x") }
        let before = Self.snapshot(ingester.heads, tenants: ["x"])
        ingester.close()
        let replayed = try await Ingester(walDirectory: dir.path, logger: Self.logger)
        defer { replayed.close() }
        #expect(Self.snapshot(replayed.heads, tenants: ["x"]) == before)
    }

    /// A checkpoint empties the heads, deletes the segments before it, and
    /// replay starts from it.
    @Test func checkpointDropsEarlierSegments() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SeededRandom(seed: 9)
        var options = WriteAheadLog.Options()
        options.segmentSize = 1 << 12
        let after: [String: Snapshot]
        do {
            let ingester = try await Ingester(walDirectory: dir.path, options: options, logger: Self.logger)
            for _ in 0..<30 { try await ingester.push(try Self.randomPush(&rng), tenant: "a") }
            let segmentsBefore = try WALSegments.list(dir.path)
            #expect(segmentsBefore.count > 1)
            try await ingester.checkpoint(blockIDs: ["01HBLOCK"], timeNanos: 1)
            #expect(ingester.heads.existingHead(for: "a")?.read { $0.series.count } == 0)
            let segmentsAfter = try WALSegments.list(dir.path)
            #expect(segmentsAfter.count == 1)
            #expect(segmentsAfter[0] > segmentsBefore.last!)
            for _ in 0..<5 { try await ingester.push(try Self.randomPush(&rng), tenant: "a") }
            after = Self.snapshot(ingester.heads, tenants: ["a"])
            ingester.close()
        }
        let replayed = try await Ingester(walDirectory: dir.path, options: options, logger: Self.logger)
        defer { replayed.close() }
        #expect(replayed.replay?.records == 6)  // the checkpoint and five pushes
        #expect(Self.snapshot(replayed.heads, tenants: ["a"]) == after)
    }

    /// A crash after a checkpoint was written but before the segments before
    /// it were deleted: start-up finishes the deletion and replays from the checkpoint.
    @Test func leftoverSegmentsBeforeACheckpointAreDeletedOnStart() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let records = try WALFixtures.records()
        var afterCheckpoint = records[0]
        afterCheckpoint.tenant = "fresh"
        try Data(WALFixtures.segment([.ingest(records[0]), .ingest(records[1])])).write(to: dir.appendingPathComponent("00000001"))
        try Data(WALFixtures.segment([.checkpoint(CheckpointRecord(timeNanos: 1, blockIDs: [])), .ingest(afterCheckpoint)]))
            .write(to: dir.appendingPathComponent("00000002"))
        let ingester = try await Ingester(walDirectory: dir.path, logger: Self.logger)
        defer { ingester.close() }
        #expect(ingester.replay?.records == 2)
        #expect(ingester.heads.existingHead(for: "golden") == nil)
        #expect(ingester.heads.existingHead(for: "fresh")?.read { $0.profileCount } == 1)
        #expect(try WALSegments.list(dir.path) == [2])
    }

    @Test func anAllZeroLastSegmentIsATornCreation() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(WALFixtures.segment([.ingest(try WALFixtures.records()[0])])).write(to: dir.appendingPathComponent("00000001"))
        try Data(count: 4096).write(to: dir.appendingPathComponent("00000002"))
        let ingester = try await Ingester(walDirectory: dir.path, logger: Self.logger)
        defer { ingester.close() }
        #expect(ingester.replay?.records == 1)
        #expect(ingester.replay?.truncatedTail?.segment == 2)
        #expect(try WALSegments.list(dir.path) == [1])
    }

    @Test func directoryIsLocked() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try await Ingester(walDirectory: dir.path, logger: Self.logger)
        do {
            _ = try await Ingester(walDirectory: dir.path, logger: Self.logger)
            Issue.record("a second ingester opened a locked WAL")
        } catch {
            #expect("\(error)".contains("in use by another Kiln process"))
        }
        first.close()
    }

    @Test func replayRejectsARecordThatDoesNotContinueTheHead() throws {
        var records = try WALFixtures.records()
        records.swapAt(0, 1)
        var head = HeadState()
        #expect(throws: ReplayMismatch.self) { try head.apply(records[0]) }
    }

    @Test func recordCodecRoundTrip() throws {
        for r in try WALFixtures.records(withSpans: true) {
            let framed = WALRecord.ingest(r).framed()
            let segment = WALFrame.segmentHeader + framed
            try segment.withUnsafeBytes { raw in
                var reader = try WALSegmentReader(raw)
                let rec = try #require(try reader.next())
                #expect(try WALRecord.decode(rec, in: raw) == .ingest(r))
                #expect(try reader.next() == nil)
            }
        }
        let c = CheckpointRecord(timeNanos: -5, blockIDs: ["a", "b"])
        let seg = WALFrame.segmentHeader + WALRecord.checkpoint(c).framed()
        try seg.withUnsafeBytes { raw in
            var reader = try WALSegmentReader(raw)
            #expect(try WALRecord.decode(try #require(try reader.next()), in: raw) == .checkpoint(c))
        }
    }

    @Test func crc32cKnownValues() {
        // RFC 3720 B.4 test vectors.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xff, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum(Array(0..<32) as [UInt8]) == 0x46DD_794E)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        let data = Array("The quick brown fox jumps over the lazy dog".utf8)
        #expect(CRC32C.checksum(data[20...], continuing: CRC32C.checksum(data[..<20])) == CRC32C.checksum(data))
    }
}
