import Foundation
import KilnHead
import KilnIngest
import KilnModel
import KilnStorage

/// A day (or `hours`) of the reference workload as blocks: cut hourly and
/// compacted as the daemon would (`CompactionPlanner` defaults), written
/// once into a directory and reused by later runs.
///
/// To prepare a day in minutes, one hour of profiles is generated and decoded
/// once and appended for every hour with its times shifted: the same stacks
/// every hour, as a steady service has, so every hourly block is alike.
enum ReferenceBlocks {
    static let start: Int64 = 1_700_000_000_000_000_000

    /// The blocks in `dir`, written first when there are none.
    static func open(_ dir: String, hours: Int) async throws -> [Block] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { ULID($0) != nil }
        if names.isEmpty {
            try await prepare(dir, hours: hours)
        } else {
            print("reusing the blocks in \(dir)")
        }
        var blocks: [Block] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where ULID(name) != nil {
            blocks.append(try await Block(path: dir + "/" + name))
        }
        return blocks
    }

    /// Hourly hot blocks of the reference workload, then compacted with the daemon's default ranges.
    static func prepare(_ dir: String, hours: Int) async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let workload = ReferenceWorkload()
        let perHour = 3600 / 15
        let t0 = Date()
        var hourOfProfiles: [IngestProfile] = []
        for i in 0..<perHour {
            for s in 0..<ReferenceWorkload.series {
                let time = start + Int64(i) * ReferenceWorkload.intervalNanos + Int64(s) * 100_000_000
                hourOfProfiles.append(
                    try PushConverter.convert(
                        labels: workload.labels(series: s), rawProfile: workload.pprof(series: s, index: i, timeNanos: time),
                        id: "", nowNanos: time))
            }
        }
        for hour in 0..<hours {
            var head = HeadState()
            for var p in hourOfProfiles {
                p.timeNanos += Int64(hour) * 3_600_000_000_000
                head.append(p)
            }
            _ = try BlockWriter.write(head, tenant: "bench", ulid: .make(milliseconds: UInt64(hour + 1)), directory: dir, codec: .lz4)
            FileHandle.standardError.write(
                Data(String(format: "\rwriting hourly blocks: %d/%d (%.0f s)", hour + 1, hours, Date().timeIntervalSince(t0)).utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        var blocks: [Block] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where ULID(name) != nil {
            blocks.append(try await Block(path: dir + "/" + name))
        }
        var n: UInt64 = 1000
        while let group = CompactionPlanner().plan(blocks.map(\.meta)) {
            let sources = blocks.filter { b in group.contains { $0.ulid == b.ulid } }
            n += 1
            let meta = try BlockCompactor.compact(sources, tenant: "bench", ulid: .make(milliseconds: n), directory: dir)
            for s in sources { try FileManager.default.removeItem(atPath: dir + "/" + s.ulid) }
            blocks.removeAll { b in group.contains { $0.ulid == b.ulid } }
            blocks.append(try await Block(path: dir + "/" + meta.ulid))
            FileHandle.standardError.write(Data("compacted \(sources.count) blocks into \(meta.ulid) (level \(meta.level))\n".utf8))
        }
    }
}
