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

/// An ingester's id belongs to its data directory (`ingester.json`, checked
/// before replay) and, in a shared bucket, to one live process at a time
/// (`IngesterLease`): a mistaken id can neither adopt nor merge another
/// ingester's blocks.
@Suite struct IngesterOwnershipTests {
    static let logger = Logger(label: "test")

    static func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("kiln-owner-\(UUID().uuidString)").path
    }

    static func profile() throws -> IngestProfile {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        b.addSample(stack: ["main", "a"], values: [10_000_000])
        let p = b.build()
        let (base, name, _) = try SeriesLabels.normalise([Label("__name__", "process_cpu"), Label("service_name", "svc")])
        return IngestProfile(
            profile: p, series: SeriesLabels.targets(base: base, name: name, profile: p),
            timeNanos: 1_700_000_000_000_000_000, durationNanos: 0)
    }

    static func open(_ dir: String, _ id: String?, store: (any ObjectStore)? = nil, leaseTimeout: Duration = .seconds(300)) async throws -> Ingester {
        try await Ingester(
            walDirectory: dir + "/wal", blockDirectory: dir + "/blocks", objectStore: store, id: id,
            leaseTimeout: leaseTimeout, logger: logger)
    }

    /// Refused with both ids named, and before the replay has changed a file.
    static func expectRefused(_ dir: String, _ id: String?, naming names: [String]) async throws {
        let before = try FileManager.default.subpathsOfDirectory(atPath: dir).sorted()
        await #expect { _ = try await open(dir, id) } throws: { error in
            names.allSatisfy { "\(error)".contains($0) }
        }
        #expect(try FileManager.default.subpathsOfDirectory(atPath: dir).sorted() == before)
    }

    /// testdata/ownership/ (docs/format/ownership.md), read forever;
    /// `KILN_REGENERATE_GOLDEN=1` rewrites them.
    @Test func goldenDocumentsAreCurrentAndReadForever() throws {
        let identity = IngesterIdentity(id: "ingester-1", token: "1f0c6f9e-5b7a-4c0e-9d1e-4a4b2f7d8c31")
        let lease = IngesterLease.Record(id: "ingester-1", token: identity.token, renewedAtMillis: 1_795_338_930_000)
        for (name, bytes) in [("ingester.json", try identity.encoded()), ("lease.json", try lease.encoded())] {
            if ProcessInfo.processInfo.environment["KILN_REGENERATE_GOLDEN"] == "1" {
                try FileManager.default.createDirectory(at: TestData.url("ownership"), withIntermediateDirectories: true)
                try Data(bytes).write(to: TestData.url("ownership/" + name))
            }
            #expect(try TestData.bytes("ownership/" + name) == bytes, "\(name)")
        }
        #expect(try IngesterIdentity.decode(TestData.bytes("ownership/ingester.json"), path: "ingester.json") == identity)
        #expect(IngesterLease.Record.decode(try TestData.bytes("ownership/lease.json")) == lease)
        // Without an id, the key is absent, and reads back as none.
        let none = IngesterIdentity(id: nil, token: "t")
        let noneBytes = try none.encoded()
        #expect(!String(decoding: noneBytes, as: UTF8.self).contains("\"id\""))
        #expect(try IngesterIdentity.decode(noneBytes, path: "") == none)
        #expect(throws: StorageError.self) { try IngesterIdentity.decode(Array(#"{"id":"a","token":""}"#.utf8), path: "x") }
        #expect(throws: StorageError.self) { try IngesterIdentity.decode(Array("{".utf8), path: "x") }
    }

    @Test func aDataDirectoryKeepsItsID() async throws {
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try await Self.open(dir, "a")
        try await first.push([try Self.profile()], tenant: "t")
        first.close()
        #expect(try IngesterIdentity.stored(in: dir + "/wal")?.id == "a")
        // Only the WAL so far: the identity alone refuses.
        try await Self.expectRefused(dir, "b", naming: [#"ingester "a""#, #"ingester "b""#])

        let second = try await Self.open(dir, "a")
        #expect(try await second.cut().map(\.ingester) == ["a"])
        try await second.push([try Self.profile()], tenant: "t")
        second.close()
        try await Self.expectRefused(dir, "b", naming: [#"ingester "a""#, #"ingester "b""#])
        try await Self.expectRefused(dir, nil, naming: [#"ingester "a""#, "without --ingester.id"])
        let again = try await Self.open(dir, "a")
        #expect(again.heads.existingHead(for: "t")?.blocks.count == 1 && again.heads.existingHead(for: "t")?.read { $0.profileCount } == 1)
        again.close()
    }

    /// A data directory from before identities was an ingester's without an
    /// id: its blocks (local, or in the bucket) have no owner, so it may
    /// start only without an id, and is then stamped as such.
    @Test func dataDirectoriesFromBeforeIdentitiesStayWithoutAnID() async throws {
        // Blocks on local disk.
        let dir = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/blocks/t", withIntermediateDirectories: true)
        var head = HeadState()
        head.append(try Self.profile())
        let old = try BlockWriter.write(head, tenant: "t", ulid: .make(milliseconds: 1), directory: dir + "/blocks/t", codec: .lz4)
        #expect(old.ingester == nil)
        await #expect { _ = try await Self.open(dir, "b") } throws: { error in
            "\(error)".contains(old.ulid) && "\(error)".contains(#"ingester "b""#) && "\(error)".contains("without --ingester.id")
        }
        #expect(try IngesterIdentity.stored(in: dir + "/wal") == nil, "a refused start stamps nothing")
        let ingester = try await Self.open(dir, nil)
        #expect(ingester.heads.existingHead(for: "t")?.blocks.map(\.ulid) == [old.ulid])
        ingester.close()
        let stamped = try #require(try IngesterIdentity.stored(in: dir + "/wal"))
        #expect(stamped.id == nil && !stamped.token.isEmpty)

        // Only a WAL (its blocks released to the bucket).
        let walOnly = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: walOnly) }
        let before = try await Self.open(walOnly, nil)
        try await before.push([try Self.profile()], tenant: "t")
        before.close()
        try FileManager.default.removeItem(atPath: walOnly + "/wal/" + IngesterIdentity.fileName)
        try await Self.expectRefused(walOnly, "b", naming: ["predates ingester ids", #"ingester "b""#])
        let after = try await Self.open(walOnly, nil)
        #expect(after.heads.existingHead(for: "t")?.read { $0.profileCount } == 1)
        after.close()
    }

    /// Two data directories started with one id over one bucket: the second
    /// lists and compacts nothing, and cannot acquire the lease while the
    /// first renews it; once the first falls silent for the timeout, the
    /// second takes it over and the first stops; a restart from the same
    /// data directory takes its lease back at once.
    @Test func oneLiveProcessPerIDInABucket() async throws {
        let dirs = [Self.tempDir(), Self.tempDir(), Self.tempDir()]
        defer { for d in dirs { try? FileManager.default.removeItem(atPath: d) } }
        let store = MemoryObjectStore()
        let timeout = Duration.seconds(1)
        let first = try await Self.open(dirs[0], "b", store: store, leaseTimeout: timeout)
        defer { first.close() }
        try await first.acquireLease()
        try await first.syncBucket()
        #expect(first.bucketListed)

        var second = try await Self.open(dirs[1], "b", store: store, leaseTimeout: timeout)
        try await second.push([try Self.profile()], tenant: "t")
        try await second.cut()
        let bucket = try await store.listAll(prefix: "")
        await #expect(throws: IngesterLease.Conflict.self) { try await second.syncBucket() }
        await #expect(throws: IngesterLease.Conflict.self) { try await second.compact(.init(retention: .seconds(1))) }
        #expect(!second.bucketListed && second.heads.existingHead(for: "t")?.blocks.count == 1)
        #expect(try await store.listAll(prefix: "") == bucket, "a conflicting ingester changes nothing in the bucket")

        // While the first renews, the second's acquisition fails as soon as it sees a renewal.
        let renewing = Task {
            while !Task.isCancelled {
                try await first.renewLease()
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        await #expect(throws: IngesterLease.Conflict.self) { try await second.acquireLease() }
        renewing.cancel()
        _ = await renewing.result

        let other = try await Self.open(dirs[2], "c", store: store, leaseTimeout: timeout)
        try await other.acquireLease()
        try await other.syncBucket()
        other.close()

        // The first falls silent: after the timeout the second takes over, and the first stops.
        try await second.acquireLease()
        try await second.syncBucket()
        await #expect(throws: IngesterLease.Conflict.self) { try await first.compact(.init()) }
        let text = String(decoding: try await store.get("_ingesters/id/b.json"), as: UTF8.self)
        #expect(text.contains(try #require(second.identity).token))

        // The second restarts (after kill -9, say) from its data directory: its lease, at once.
        second.close()
        second = try await Self.open(dirs[1], "b", store: store, leaseTimeout: .seconds(30))
        defer { second.close() }
        let started = ContinuousClock.now
        try await second.acquireLease()
        #expect(ContinuousClock.now - started < .seconds(10), "took its own lease back without waiting out the 30 s")

        // A drained shutdown releases it: a new data directory takes it at once. Releasing
        // another's lease (the first's, long taken over) deletes nothing.
        #expect(try await !first.releaseLease())
        #expect(try await store.size("_ingesters/id/b.json") != nil)
        #expect(try await second.releaseLease())
        #expect(try await store.size("_ingesters/id/b.json") == nil)
        let successorDirectory = Self.tempDir()
        defer { try? FileManager.default.removeItem(atPath: successorDirectory) }
        let successor = try await Self.open(successorDirectory, "b", store: store, leaseTimeout: .seconds(30))
        defer { successor.close() }
        let handedOver = ContinuousClock.now
        try await successor.acquireLease()
        #expect(ContinuousClock.now - handedOver < .seconds(10), "took a released lease without waiting out the 30 s")
    }
}
