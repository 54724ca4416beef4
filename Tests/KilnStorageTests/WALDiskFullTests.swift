import Foundation
import KilnStorage
import KilnTestSupport
import Logging
import Testing

/// A WAL on a tiny tmpfs that fills up: the first failed write stops all
/// acknowledgements, and what was acknowledged before replays intact.
@Suite struct WALDiskFullTests {
    /// Mounting needs root (as on Kiln's CI machines); elsewhere the test is skipped, visibly.
    static let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-tmpfs-\(getpid())")
    static let canMount: Bool = {
        try? FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mounted =
            (try? Process.run(URL(fileURLWithPath: "/bin/mount"), arguments: ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mountPoint.path])).map {
                $0.waitUntilExit()
                return $0.terminationStatus == 0
            } ?? false
        return mounted
    }()

    @Test(.enabled(if: canMount, "needs permission to mount a tmpfs"))
    func diskFullStopsAcknowledgementsAndLosesNothingAcknowledged() async throws {
        defer {
            if let p = try? Process.run(URL(fileURLWithPath: "/bin/umount"), arguments: [Self.mountPoint.path]) { p.waitUntilExit() }
            try? FileManager.default.removeItem(at: Self.mountPoint)
        }
        let dir = Self.mountPoint.appendingPathComponent("wal").path
        var rng = SeededRandom(seed: 3)
        var acknowledged = 0
        var failures = 0
        do {
            let ingester = try await Ingester(walDirectory: dir, logger: Logger(label: "test"))
            for _ in 0..<2000 {
                do {
                    try await ingester.push(try WALReplayTests.randomPush(&rng), tenant: "t")
                    #expect(failures == 0, "a push was acknowledged after the WAL failed")
                    acknowledged += 1
                } catch {
                    failures += 1
                    #expect("\(error)".contains("No space left on device") || "\(error)".contains("write"), "\(error)")
                }
            }
            ingester.close()
        }
        #expect(acknowledged > 0)
        #expect(failures > 0, "the tmpfs never filled up")
        // Restart on the same, still full, file system: the torn tail is cut and
        // every acknowledged push is back. Whole records of the failed batch may
        // be back too (written, never acknowledged); nothing is half-applied, as
        // replay applies records whole.
        let replayed = try await Ingester(walDirectory: dir, logger: Logger(label: "test"))
        defer { replayed.close() }
        let profiles = replayed.heads.existingHead(for: "t")?.read { h in h.series.reduce(0) { $0 + $1.profileCount } } ?? 0
        let records = replayed.replay?.records ?? 0
        #expect(records >= acknowledged, "replayed \(records) pushes, \(acknowledged) were acknowledged")
        #expect(records <= acknowledged + failures)
        #expect(profiles > 0)
    }
}
