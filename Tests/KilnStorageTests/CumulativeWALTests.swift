import Foundation
import KilnFormat
import KilnHead
import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Logging
import Testing

@testable import KilnStorage

/// The cumulative baselines (`CumulativeBaselines`) survive restarts and cuts
/// through the WAL's type 4 records; testdata/wal/cumulative is their golden file.
@Suite struct CumulativeWALTests {
    static let t0: Int64 = 1_700_000_000_000_000_000
    static let logger = Logger(label: "test")

    /// A Go-like `memory` push: alloc_space (cumulative) and inuse_space
    /// (gauge), stack `main;<leaf>` with `scale` × the base value.
    static func push(_ scale: Int64, at minute: Int64, leaves: [String] = ["a", "b"]) throws -> IngestProfile {
        var b = ProfileBuilder(sampleTypes: [("alloc_space", "bytes"), ("inuse_space", "bytes")], periodType: ("space", "bytes"), period: 524_288)
        for (i, leaf) in leaves.enumerated() { b.addSample(stack: ["main", leaf], values: [scale * Int64(100 * (i + 1)), 10]) }
        var p = b.build()
        p.timeNanos = t0 + minute * 60_000_000_000
        return try PushConverter.convert(
            labels: [Label("__name__", "memory"), Label("service_name", "app")],
            rawProfile: PprofEncoder.encode(p), id: "", nowNanos: 0)
    }

    /// The alloc_space value stored per profile time, summed over stacks.
    static func allocByTime(_ ingester: Ingester) -> [Int64: Int64] {
        var out: [Int64: Int64] = [:]
        func add(_ h: HeadState) {
            for s in h.series where s.profileType.sampleType == "alloc_space" {
                for p in 0..<s.profileCount {
                    out[(s.timeNanos[p] - t0) / 60_000_000_000, default: 0] += s.totals[p]
                }
            }
        }
        guard let head = ingester.heads.existingHead(for: "t") else { return [:] }
        head.read { add($0) }
        for f in head.frozenHeads { add(f.state) }
        return out
    }

    @Test func baselinesSurviveRestartsAndCheckpoints() async throws {
        let dir = NSTemporaryDirectory() + "kiln-cumulative-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var ingester = try await Ingester(walDirectory: dir, logger: Self.logger)
        try await ingester.push([try Self.push(1, at: 0)], tenant: "t")
        try await ingester.push([try Self.push(2, at: 1)], tenant: "t")
        #expect(Self.allocByTime(ingester) == [1: 300])  // minute 0 only set the baseline
        let baselines = ingester.heads.head(for: "t").baselines
        ingester.close()

        // Restart: the baseline is replayed, so the next push is a delta, not a new baseline.
        ingester = try await Ingester(walDirectory: dir, logger: Self.logger)
        #expect(ingester.heads.head(for: "t").baselines == baselines)
        try await ingester.push([try Self.push(4, at: 2)], tenant: "t")
        #expect(Self.allocByTime(ingester) == [1: 300, 2: 600])

        // A checkpoint deletes the segments holding that history; the snapshot after it keeps the state.
        try await ingester.checkpoint(blockIDs: [], timeNanos: Self.t0 + 3 * 60_000_000_000)
        #expect(try WALSegments.list(dir).count == 1)
        let afterCheckpoint = ingester.heads.head(for: "t").baselines
        #expect(!afterCheckpoint.isEmpty)
        ingester.close()
        ingester = try await Ingester(walDirectory: dir, logger: Self.logger)
        #expect(ingester.heads.head(for: "t").baselines == afterCheckpoint)
        try await ingester.push([try Self.push(5, at: 3)], tenant: "t")
        #expect(Self.allocByTime(ingester) == [3: 300])
        // A reset (the process restarted) stores nothing, then counts from the new baseline.
        try await ingester.push([try Self.push(1, at: 4)], tenant: "t")
        try await ingester.push([try Self.push(2, at: 5, leaves: ["a", "b", "c"])], tenant: "t")
        #expect(Self.allocByTime(ingester) == [3: 300, 5: 300 + 600])
        let final = ingester.heads.head(for: "t").baselines
        ingester.close()
        ingester = try await Ingester(walDirectory: dir, logger: Self.logger)
        defer { ingester.close() }
        #expect(ingester.heads.head(for: "t").baselines == final)
        #expect(Self.allocByTime(ingester) == [3: 300, 5: 900])
    }

    /// A checkpoint taken more than an hour after a series' last profile drops its baseline.
    @Test func staleBaselinesAreDroppedAtACheckpoint() async throws {
        let dir = NSTemporaryDirectory() + "kiln-cumulative-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ingester = try await Ingester(walDirectory: dir, logger: Self.logger)
        defer { ingester.close() }
        try await ingester.push([try Self.push(1, at: 0)], tenant: "t")
        try await ingester.checkpoint(blockIDs: [], timeNanos: Self.t0 + 61 * 60_000_000_000)
        #expect(ingester.heads.head(for: "t").baselines.isEmpty)
        try await ingester.push([try Self.push(2, at: 62)], tenant: "t")
        #expect(Self.allocByTime(ingester).isEmpty)  // a baseline again
    }

    /// The records of the golden file: three pushes (baseline, growth, reset),
    /// then a checkpoint with the tenant's snapshot.
    static func goldenRecords() throws -> [WALRecord] {
        let head = Head()
        var records: [WALRecord] = []
        for (scale, minute) in [(Int64(1), Int64(0)), (3, 1), (2, 2)] {
            _ = try head.append([try push(scale, at: minute)], tenant: "golden") { records.append($0) }
        }
        var baselines = head.baselines
        let taken = baselines.snapshot(tenant: "golden", nowNanos: t0 + 3 * 60_000_000_000)
        let snapshot = try #require(taken)
        return records + [.checkpoint(CheckpointRecord(timeNanos: t0 + 3 * 60_000_000_000, blockIDs: [])), .cumulative(snapshot)]
    }

    @Test func goldenFileIsCurrentAndReplays() async throws {
        let records = try Self.goldenRecords()
        #expect(records.map(\.type) == [.ingest, .cumulative, .ingest, .cumulative, .ingest, .cumulative, .checkpoint, .cumulative])
        let bytes = WALFrame.segmentHeader + records.flatMap { $0.framed() }
        let url = TestData.url("wal/cumulative/00000001")
        if ProcessInfo.processInfo.environment["KILN_REGENERATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        #expect(try TestData.bytes("wal/cumulative/00000001") == bytes, "testdata/wal/cumulative is stale")

        let dir = NSTemporaryDirectory() + "kiln-cumulative-golden-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: url.path, toPath: dir + "/00000001")
        let ingester = try await Ingester(walDirectory: dir, logger: Self.logger)
        defer { ingester.close() }
        #expect(ingester.replay?.records == 8)
        // After the reset at minute 2 the baseline is scale 2: a then 200, b 400.
        let b = try #require(ingester.heads.existingHead(for: "golden")?.baselines)
        #expect(b.series.count == 1)
        #expect(b.series.values.first?.values.values.sorted() == [200, 400])
        #expect(b.series.values.first?.timeNanos == Self.t0 + 2 * 60_000_000_000)
    }
}
