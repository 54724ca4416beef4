import KilnStorage
import Testing

/// Compaction planning on metadata alone.
@Suite struct CompactionPlannerTests {
    static let hour: Int64 = 3_600_000_000_000

    static func block(_ name: String, _ fromHour: Double, _ toHour: Double, level: Int = 1) -> BlockMeta {
        BlockMeta(
            ulid: name, version: 1, tenant: "t", minTimeNanos: Int64(fromHour * Double(hour)), maxTimeNanos: Int64(toHour * Double(hour)) - 1,
            level: level, codec: level == 1 ? "lz4" : "zstd",
            stats: .init(series: 1, profiles: 1, samples: 1, stacks: 1, locations: 1, functions: 1, strings: 1), files: [], sources: [])
    }

    let planner = CompactionPlanner(ranges: [2 * hour, 12 * hour])

    @Test func mergesTheBlocksOfAClosedWindow() {
        let blocks = [Self.block("A", 0, 1), Self.block("B", 1, 2), Self.block("C", 2, 3)]
        #expect(planner.plan(blocks)?.map(\.ulid) == ["A", "B"])
    }

    @Test func leavesAnOpenWindowAlone() {
        // C is still in [2h, 4h): nothing past 4h exists yet.
        let blocks = [Self.block("C", 2, 3)]
        #expect(planner.plan(blocks) == nil)
        #expect(planner.plan([Self.block("C", 2, 3), Self.block("D", 3, 3.5)]) == nil)
    }

    @Test func rewritesALoneHotBlockColdOnceItsWindowCloses() {
        #expect(planner.plan([Self.block("A", 0, 1), Self.block("Z", 5, 6)])?.map(\.ulid) == ["A"])
        // A lone cold block is left as it is.
        #expect(planner.plan([Self.block("A", 0, 2, level: 2), Self.block("Z", 2, 2.5)]) == nil)
    }

    @Test func largerRangesMergeCompactedBlocks() {
        let blocks = [Self.block("A", 0, 2, level: 2), Self.block("B", 2, 4, level: 2), Self.block("C", 4, 6, level: 2), Self.block("Z", 12, 13)]
        #expect(planner.plan(blocks)?.map(\.ulid) == ["A", "B", "C"])
    }

    @Test func aStraddlingBlockWaitsForALargerRange() {
        // S spans [1h, 3h): no 2 h window holds it; the 12 h window [0, 12h) does, once closed.
        let blocks = [Self.block("S", 1, 3, level: 2), Self.block("T", 4, 6, level: 2)]
        #expect(planner.plan(blocks) == nil)
        #expect(planner.plan(blocks + [Self.block("Z", 12, 13, level: 2)])?.map(\.ulid) == ["S", "T"])
    }

    @Test func retentionPicksBlocksOlderThanTheLimit() {
        let blocks = [Self.block("old", 0, 1), Self.block("new", 10, 11)]
        #expect(CompactionPlanner.expired(blocks, nowNanos: 12 * Self.hour, retention: 5 * Self.hour).map(\.ulid) == ["old"])
    }
}
