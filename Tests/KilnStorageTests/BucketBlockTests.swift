import Foundation
import KilnFormat
import KilnHead
import KilnModel
import KilnPprof
import KilnQuery
import KilnTestSupport
import Logging
import Testing

@testable import KilnStorage

/// Blocks read from a bucket (ranged GETs through the cache) answer exactly
/// as the same blocks on local disk, and the ingester's release, restart and
/// compaction paths keep every answer when blocks live only in the bucket.
@Suite struct BucketBlockTests {
    enum Bucket: String, CaseIterable, CustomTestStringConvertible {
        case memory, memoryUncached, s3
        var testDescription: String { rawValue }
    }

    /// Writes the fixture (or, `large`, 30 copies of it over 10 services and
    /// 10 hours: a profiles file far beyond the footer read) as one block and ships it.
    static func shippedBlock(_ store: any ObjectStore, _ dir: String, large: Bool = false) async throws -> (local: Block, head: HeadState) {
        var head = HeadState()
        let pushes = try BlockTests.pushes()
        for copy in 0..<(large ? 30 : 1) {
            for p in pushes {
                var labels = p.labels
                if large { labels[1] = Label("service_name", "svc-\(copy % 10)") }
                head.append(try BlockTests.ingest((labels, p.bytes, p.time + Int64(copy) * 1_200_000_000_000)))
            }
        }
        let meta = try BlockWriter.write(head, tenant: "t", ulid: .make(milliseconds: 1), directory: dir, codec: .zstd)
        try await BlockShipper(store: store).ship(meta, from: dir + "/" + meta.ulid)
        return (try await Block(path: dir + "/" + meta.ulid), head)
    }

    @Test(arguments: Bucket.allCases)
    func bucketBlockAnswersEqualTheLocalBlock(_ bucket: Bucket) async throws {
        let dir = BlockTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var moto: MotoServer?
        defer { moto?.stop() }
        let inner: any ObjectStore
        if bucket == .s3 {
            let m = try MotoServer(checkSignatures: true)
            moto = m
            inner = S3ObjectStore(
                S3Config(
                    endpoint: m.endpoint, region: "us-east-1", bucket: m.bucket, prefix: "",
                    accessKey: m.accessKey, secretKey: m.secretKey))
        } else {
            inner = MemoryObjectStore()
        }
        let store = FlakyObjectStore(inner)
        let (local, head) = try await Self.shippedBlock(store, dir)
        // Small chunks, so that the fixture's pages span many of them.
        let cache =
            bucket == .memoryUncached
            ? nil
            : try ObjectCache(directory: dir + "/cache", options: .init(capacityBytes: 64 << 20, chunkSize: 4096, maxFetchBytes: 16_384))
        let remote = try await Block(bucket: store, tenant: "t", ulid: local.ulid, cache: cache)
        #expect(remote.localDirectory == nil && remote.path == "bucket:t/blocks/\(local.ulid)")

        let expected = try await BlockTests.answers(Query(sources: [head]))
        #expect(try await BlockTests.answers(Query(sources: [local])) == expected)
        #expect(try await BlockTests.answers(Query(sources: [remote])) == expected)

        guard let cache else { return }
        // Warm: the same answers again read nothing from the bucket.
        let cold = store.counts
        #expect(try await BlockTests.answers(Query(sources: [remote])) == expected)
        #expect(store.counts == cold, "a warm cache serves every read")
        #expect(cache.stats.memoryHits + cache.stats.diskHits > 0)

        // A restarted process finds the chunks on disk: still no GET.
        let reopened = try ObjectCache(directory: dir + "/cache", options: cache.options)
        #expect(reopened.usage.disk == cache.usage.disk)
        let again = try await Block(bucket: store, tenant: "t", ulid: local.ulid, cache: reopened)
        #expect(try await BlockTests.answers(Query(sources: [again])) == expected)
        #expect(store.counts.rangedGets == cold.rangedGets, "chunks on disk survive a restart")
    }

    /// Opening reads the index, symbols and profiles footer and table; a
    /// one-series flame graph then fetches only the pages of that series.
    @Test func aSelectiveQueryFetchesOnlyTheRangesItNeeds() async throws {
        let dir = BlockTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = FlakyObjectStore(MemoryObjectStore())
        let (local, _) = try await Self.shippedBlock(store, dir, large: true)
        let cache = try ObjectCache(directory: dir + "/cache", options: .init(capacityBytes: 64 << 20, chunkSize: 4096, maxFetchBytes: 16_384))
        let remote = try await Block(bucket: store, tenant: "t", ulid: local.ulid, cache: cache)
        let profilesSize = local.meta.files.first { $0.name == BlockSchema.profilesFile }!.size
        let opened = store.counts.bytesRead
        let type = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        let one = try await Query(sources: [remote]).mergeStacktraces(
            profileType: type, selector: try LabelSelector(parsing: #"{service_name="svc-1"}"#), range: .all, maxNodes: 1000)
        #expect(
            one
                == (try await Query(sources: [local]).mergeStacktraces(
                    profileType: type, selector: try LabelSelector(parsing: #"{service_name="svc-1"}"#), range: .all, maxNodes: 1000)))
        let queried = store.counts.bytesRead - opened
        let otherFiles = local.meta.files.filter { $0.name != BlockSchema.profilesFile }.reduce(0) { $0 + $1.size }
        let metaSize = try await store.get("t/blocks/\(local.ulid)/meta.json").count
        let openedProfiles = opened - otherFiles - metaSize
        #expect(openedProfiles < profilesSize * 3 / 4, "opening read \(openedProfiles) of \(profilesSize) bytes of the profiles file")
        #expect(queried > 0 && queried < profilesSize / 4, "one service of ten: \(queried) of \(profilesSize) bytes")
    }

    /// A block whose bucket cannot be reached fails the flame graph with the
    /// store's error (never a partial answer); metadata answers from memory.
    @Test func anUnreachableBucketFailsTheQuery() async throws {
        let dir = BlockTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = FlakyObjectStore(MemoryObjectStore())
        let (local, head) = try await Self.shippedBlock(store, dir, large: true)
        let cache = try ObjectCache(directory: dir + "/cache", options: .init(capacityBytes: 64 << 20, chunkSize: 4096, maxFetchBytes: 16_384))
        let remote = try await Block(bucket: store, tenant: "t", ulid: local.ulid, cache: cache)
        store.failing = true
        var skipped = 0
        let query = Query(sources: [head, remote]) { _ in skipped += 1 }
        let type = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        do {
            _ = try await query.mergeStacktraces(profileType: type, selector: LabelSelector(), range: .all, maxNodes: 100)
            Issue.record("a query over an unreachable block answered")
        } catch let e as ObjectStoreError {
            #expect(e.kind == .unreachable && e.key == "t/blocks/\(local.ulid)/profiles.kcol", "\(e)")
        }
        #expect(skipped == 0, "unreachable is not corrupt: nothing is skipped")
        #expect(try await query.labelValues(name: "service_name", selector: LabelSelector(), range: .all) == (0..<10).map { "svc-\($0)" })
        store.failing = false
        #expect(try await BlockTests.answers(Query(sources: [remote])) == BlockTests.answers(Query(sources: [head])))
    }

    /// The ingester keeps a shipped block local for the grace period, then
    /// serves it from the bucket; after a restart it finds it there; the
    /// compactor merges bucket-only blocks; every answer stays the same.
    @Test func releasedBlocksAreServedFromTheBucketAcrossRestartsAndCompaction() async throws {
        let dir = BlockTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = FlakyObjectStore(MemoryObjectStore())
        // The fixture, and one profile two hours later that closes its compaction window.
        var pushes = try BlockTests.pushes()
        var late = try PprofDecoder.decode(pushes[0].bytes)
        late.timeNanos = BlockTests.start + 2 * 3_600_000_000_000
        pushes.append((pushes[0].labels, PprofEncoder.encode(late), late.timeNanos))
        let expected = try await BlockTests.answers(Query(sources: [BlockTests.head(pushes[...])]))
        let options = ObjectCache.Options(capacityBytes: 64 << 20)
        func open() async throws -> Ingester {
            let ingester = try await Ingester(
                walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", objectStore: store,
                cache: try ObjectCache(directory: dir + "/cache", options: options), logger: Logger(label: "test"))
            try await ingester.syncBucket()
            return ingester
        }
        var ingester = try await open()
        for p in pushes[..<60] { try await ingester.push([try BlockTests.ingest(p)], tenant: "t") }
        let first = try await ingester.cut()[0]
        for p in pushes[60..<120] { try await ingester.push([try BlockTests.ingest(p)], tenant: "t") }
        let second = try await ingester.cut()[0]
        try await ingester.push([try BlockTests.ingest(pushes[120])], tenant: "t")
        let third = try await ingester.cut()[0]
        let all = Set([first.ulid, second.ulid, third.ulid])
        #expect(Set(await ingester.shipPending()) == all)

        #expect(await ingester.releaseShipped(grace: .seconds(3600)).isEmpty, "within the grace period")
        #expect(Set(await ingester.releaseShipped(grace: .zero)) == all)
        #expect(!FileManager.default.fileExists(atPath: dir + "/blocks/t/" + first.ulid))
        #expect(ingester.heads.existingHead(for: "t")!.blocks.allSatisfy { $0.localDirectory == nil })
        #expect(try await BlockTests.answers(Query(ingester.heads.existingHead(for: "t"))) == expected)

        ingester.close()
        ingester = try await open()
        #expect(ingester.heads.existingHead(for: "t")!.blocks.map(\.ulid) == all.sorted())
        #expect(try await BlockTests.answers(Query(ingester.heads.existingHead(for: "t"))) == expected)

        // Compaction downloads its bucket-only sources, ships the merged
        // block, deletes the sources from the bucket and cleans up.
        let merged = try await ingester.compact(.init(planner: CompactionPlanner(ranges: [3_600_000_000_000])), now: Date(timeIntervalSince1970: 2e9))
        #expect(merged.count == 1 && Set(merged[0].sources) == [first.ulid, second.ulid])
        let metas = try await store.listAll(prefix: "t/").map(\.key).filter { $0.hasSuffix("/meta.json") }
        #expect(Set(metas) == Set([merged[0].ulid, third.ulid].map { "t/blocks/\($0)/meta.json" }))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/blocks/t").filter { !$0.hasPrefix(".") } == [merged[0].ulid])
        #expect(try await BlockTests.answers(Query(ingester.heads.existingHead(for: "t"))) == expected)

        // A compaction that stopped after shipping its block but before
        // deleting its sources: start-up deletes the superseded sources.
        ingester.close()
        try FileManager.default.removeItem(atPath: dir + "/blocks/t/" + merged[0].ulid)
        let stale = try BlockWriter.write(
            BlockTests.head(pushes[..<60]), tenant: "t", ulid: try #require(ULID(first.ulid)),
            directory: dir + "/stale", codec: .lz4)
        try await BlockShipper(store: store).ship(stale, from: dir + "/stale/" + stale.ulid)
        ingester = try await open()
        #expect(ingester.heads.existingHead(for: "t")!.blocks.map(\.ulid) == [merged[0].ulid, third.ulid].sorted())
        #expect(try await store.listAll(prefix: "t/blocks/\(first.ulid)/").isEmpty)
        #expect(try await BlockTests.answers(Query(ingester.heads.existingHead(for: "t"))) == expected)
        ingester.close()
    }

    /// Two ingesters shipping to one bucket, one without an id and one with
    /// `b`: each adopts, compacts and expires only its own blocks, so a
    /// querier reading the bucket counts every profile once; an ingester
    /// started with another id than its local blocks' refuses to open.
    @Test func ingestersSharingABucketAdoptCompactAndExpireOnlyTheirOwnBlocks() async throws {
        let dir = BlockTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = MemoryObjectStore()
        // Each ingester's pushes, and a profile two hours later that closes
        // their compaction window; b's are of another service, a second later.
        var fixture = try BlockTests.pushes()
        var late = try PprofDecoder.decode(fixture[0].bytes)
        late.timeNanos = BlockTests.start + 2 * 3_600_000_000_000
        fixture.append((fixture[0].labels, PprofEncoder.encode(late), late.timeNanos))
        let pushes: [String?: [(labels: [Label], bytes: [UInt8], time: Int64)]] = [
            nil: fixture,
            "b": try fixture.map { p in
                var labels = p.labels
                labels[1] = Label("service_name", "svc-b")
                var profile = try PprofDecoder.decode(p.bytes)
                profile.timeNanos = p.time + 1_000_000_000
                return (labels, PprofEncoder.encode(profile), profile.timeNanos)
            },
        ]
        let expected = try await BlockTests.answers(Query(sources: [BlockTests.head((pushes[nil]! + pushes["b"]!)[...])]))
        func open(_ id: String?, directory: String? = nil) async throws -> Ingester {
            let path = dir + "/" + (directory ?? id ?? "a")
            let ingester = try await Ingester(
                walDirectory: path + "/wal", blockDirectory: path + "/blocks",
                objectStore: store, id: id, logger: Logger(label: "test"))
            try await ingester.syncBucket()
            return ingester
        }
        var own: [String?: Set<String>] = [:]
        for id in [nil, "b"] as [String?] {
            let ingester = try await open(id)
            let p = pushes[id]!
            for range in [0..<60, 60..<120, 120..<121] {
                for push in p[range] { try await ingester.push([try BlockTests.ingest(push)], tenant: "t") }
                let meta = try await ingester.cut()[0]
                #expect(meta.ingester == id)
                own[id, default: []].insert(meta.ulid)
            }
            #expect(Set(await ingester.shipPending()) == own[id])
            #expect(Set(await ingester.releaseShipped(grace: .zero)) == own[id])
            ingester.close()
        }

        // meta.json names an owner only when there is one: blocks from before owners read as the id-less ingester's.
        for (id, ulids) in own {
            let text = String(
                decoding: try await store.get(BlockShipper.key(tenant: "t", ulid: ulids.first!, file: BlockSchema.metaFile)), as: UTF8.self)
            #expect(text.contains("\"ingester\"") == (id != nil))
        }

        // After a restart, each finds only its own blocks in the bucket and merges only those.
        var merged: [String?: BlockMeta] = [:]
        for id in [nil, "b"] as [String?] {
            let ingester = try await open(id)
            #expect(Set(ingester.heads.existingHead(for: "t")!.blocks.map(\.ulid)) == own[id])
            let written = try await ingester.compact(
                .init(planner: CompactionPlanner(ranges: [3_600_000_000_000])), now: Date(timeIntervalSince1970: 2e9))
            #expect(written.count == 1 && Set(written[0].sources).isSubset(of: own[id]!) && written[0].ingester == id)
            merged[id] = written.first
            ingester.close()
        }
        let querier = BucketReader(store: store, cache: nil)
        try await querier.refreshBucket()
        #expect(querier.heads.existingHead(for: "t")!.blocks.count == 4)
        #expect(try await BlockTests.answers(Query(querier.heads.existingHead(for: "t"))) == expected)

        // A data directory keeps its id: another is refused, by name.
        await #expect { _ = try await open("c", directory: "b") } throws: { error in
            "\(error)".contains(#"ingester "b""#) && "\(error)".contains(#"ingester "c""#)
        }

        // Retention on one deletes its own blocks and leaves the other's.
        let b = try await open("b")
        try await b.compact(.init(retention: .seconds(1)), now: Date(timeIntervalSince1970: 3e9))
        b.close()
        let left = try await BlockShipper(store: store).listBlocks()["t"] ?? []
        #expect(Set(left) == own[nil]!.subtracting(merged[nil]!.sources).union([merged[nil]!.ulid]))
    }
}
