import Foundation
import KilnBytes
import KilnFormat
import KilnStorage
import KilnTestSupport
import Logging
import Testing

/// The named corruption cases of docs/format/wal.md, each a golden WAL
/// directory under testdata/wal/<case>/ (regenerate with KILN_REGENERATE_GOLDEN=1).
@Suite struct WALCorruptionTests {
    enum Outcome: Equatable {
        /// Replays `records` records, truncating a torn tail at `truncatedAt` if set.
        case replays(records: Int, truncatedAt: Int?)
        /// Start-up fails naming `segment` and `offset`.
        case corruption(segment: String, offset: Int, reason: String)
        case missingSegment(Int)
    }

    /// Offsets: segment header 8 bytes, then records.
    static func recordOffsets() throws -> [Int] {
        var offsets: [Int] = []
        var at = WALFrame.segmentHeaderSize
        for r in try WALFixtures.records() {
            offsets.append(at)
            at += WALRecord.ingest(r).framed().count
        }
        return offsets
    }

    static func cases() throws -> [(name: String, files: [String: [UInt8]], outcome: Outcome)] {
        let records = try WALFixtures.records().map { WALRecord.ingest($0) }
        let good = WALFixtures.segment(records)
        let offsets = try recordOffsets()
        var badCRC = good
        badCRC[offsets[1] + WALFrame.recordHeaderSize + 3] ^= 0x40
        var badLength = good
        badLength.replaceSubrange(offsets[1]..<(offsets[1] + 4), with: [0xff, 0xff, 0xff, 0x7f])
        var badType = good
        badType[offsets[1] + 8] = 9
        // Re-seal the CRC so only the type is wrong.
        let crc = CRC32C.checksum(badType[(offsets[1] + 8)..<(offsets[2])])
        badType.replaceSubrange((offsets[1] + 4)..<(offsets[1] + 8), with: withUnsafeBytes(of: crc.littleEndian, Array.init))
        let withSpans = try WALFixtures.records(withSpans: true).map { WALRecord.ingest($0) }
        return [
            ("clean", ["00000001": good], .replays(records: 3, truncatedAt: nil)),
            // A type 3 record: profiles that carry span ids.
            ("spans", ["00000001": WALFixtures.segment(withSpans)], .replays(records: 4, truncatedAt: nil)),
            ("torn_tail", ["00000001": Array(good.prefix(good.count - 5))], .replays(records: 2, truncatedAt: offsets[2])),
            ("torn_header", ["00000001": Array(good.prefix(offsets[2] + 4))], .replays(records: 2, truncatedAt: offsets[2])),
            ("zero_filled_tail", ["00000001": good + [UInt8](repeating: 0, count: 4096)], .replays(records: 3, truncatedAt: good.count)),
            ("bad_crc", ["00000001": badCRC], .corruption(segment: "00000001", offset: offsets[1], reason: "CRC32C mismatch")),
            ("bad_length", ["00000001": badLength], .corruption(segment: "00000001", offset: offsets[1], reason: "exceeds the maximum")),
            ("bad_type", ["00000001": badType], .corruption(segment: "00000001", offset: offsets[1], reason: "unknown record type 9")),
            (
                "torn_before_last_segment", ["00000001": Array(good.prefix(good.count - 5)), "00000002": WALFixtures.segment([])],
                .corruption(segment: "00000001", offset: offsets[2], reason: "torn write")
            ),
            ("missing_segment", ["00000001": good, "00000003": WALFixtures.segment([])], .missingSegment(2)),
            (
                "bad_segment_header", ["00000001": [0x4B, 0x57, 0x41, 0x4D] + good.dropFirst(4)],
                .corruption(segment: "00000001", offset: 0, reason: "bad segment header")
            ),
        ]
    }

    static var caseNames: [String] { (try? cases().map(\.name)) ?? [] }

    /// Writes the golden directories (only with KILN_REGENERATE_GOLDEN=1), and
    /// checks that the committed ones are byte-identical to what the fixtures produce.
    @Test func goldenFilesAreCurrent() throws {
        let regenerate = ProcessInfo.processInfo.environment["KILN_REGENERATE_GOLDEN"] == "1"
        for c in try Self.cases() {
            let dir = TestData.url("wal/\(c.name)")
            if regenerate {
                try? FileManager.default.removeItem(at: dir)
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for (name, bytes) in c.files { try Data(bytes).write(to: dir.appendingPathComponent(name)) }
            }
            for (name, bytes) in c.files {
                #expect(try TestData.bytes("wal/\(c.name)/\(name)") == bytes, "testdata/wal/\(c.name)/\(name) is stale")
            }
        }
    }

    /// After `WALRepair`, the log opens and holds exactly the records before the damage.
    func expectRepairRecovers(_ dir: URL, _ name: String) async throws {
        let repaired = try #require(try WALRepair.repair(dir.path), "\(name): nothing repaired")
        #expect(!repaired.reason.isEmpty)
        #expect(try WALRepair.repair(dir.path) == nil)
        let expected = ["bad_crc": 1, "bad_length": 1, "bad_type": 1, "torn_before_last_segment": 2, "missing_segment": 3, "bad_segment_header": 0]
        let ingester = try await Ingester(walDirectory: dir.path, logger: Logger(label: "test"))
        defer { ingester.close() }
        #expect(ingester.replay?.records == expected[name], "\(name)")
    }

    @Test(arguments: caseNames)
    func replayOutcome(_ name: String) async throws {
        let c = try #require(try Self.cases().first { $0.name == name })
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-wal-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Copy the golden files: replay truncates torn tails in place.
        for file in try FileManager.default.contentsOfDirectory(atPath: TestData.url("wal/\(name)").path) {
            try FileManager.default.copyItem(at: TestData.url("wal/\(name)/\(file)"), to: dir.appendingPathComponent(file))
        }
        let logger = Logger(label: "test")
        switch c.outcome {
        case .replays(let records, let truncatedAt):
            let ingester = try await Ingester(walDirectory: dir.path, logger: logger)
            defer { ingester.close() }
            #expect(ingester.replay?.records == records)
            #expect(ingester.replay?.truncatedTail?.offset == truncatedAt)
            if let truncatedAt {
                let size = (try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("00000001").path)[.size] as? Int) ?? -1
                #expect(size == truncatedAt || (truncatedAt <= WALFrame.segmentHeaderSize && size == -1))
            }
            let head = try #require(ingester.heads.existingHead(for: "golden"))
            let fixture = try WALFixtures.records(withSpans: name == "spans")
            #expect(head.read { $0.profileCount } == fixture.prefix(records).reduce(0) { $0 + $1.profiles.count })
            if name == "spans" {
                #expect(WALRecord.ingest(fixture[3]).type == .ingestWithSpans && fixture[3].profiles.count == 3)
                #expect(head.read { Set($0.series.flatMap(\.spanIDs)) } == Set([0] + WALFixtures.spans))
            }
        case .corruption(let segment, let offset, let reason):
            do {
                let ingester = try await Ingester(walDirectory: dir.path, logger: logger)
                ingester.close()
                Issue.record("\(name): replay succeeded")
            } catch let WALError.corruption(path, at, why) {
                #expect(path.hasSuffix("/" + segment))
                #expect(at == offset)
                #expect(why.contains(reason), "\(why)")
            }
            try await expectRepairRecovers(dir, name)
        case .missingSegment(let n):
            await #expect(throws: WALError.self) { try await Ingester(walDirectory: dir.path, logger: logger) }
            do { _ = try await Ingester(walDirectory: dir.path, logger: logger) } catch let WALError.missingSegment(_, number) {
                #expect(number == n)
            }
            try await expectRepairRecovers(dir, name)
        }
    }
}
