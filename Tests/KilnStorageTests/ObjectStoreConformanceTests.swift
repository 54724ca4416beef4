import Foundation
import KilnStorage
import KilnTestSupport
import Testing

/// The contract of `ObjectStore`, run against every provider: memory, the
/// filesystem, and S3 against a moto_server the test starts on 127.0.0.1
/// with signature checking on (so a broken SigV4 signer fails).
@Suite struct ObjectStoreConformanceTests {
    enum Provider: String, CaseIterable, CustomTestStringConvertible {
        case memory, filesystem, s3
        /// moto rejects the signature of any query holding `%2F` when it checks
        /// signatures (shared/reference/feasibility.md §3), even boto3's; listings
        /// by a prefix with `/` run against an unchecked moto instead.
        case s3UncheckedSignatures
        var testDescription: String { rawValue }

        func make() throws -> (store: any ObjectStore, cleanup: () -> Void) {
            switch self {
            case .memory: return (MemoryObjectStore(), {})
            case .filesystem:
                let root = NSTemporaryDirectory() + "kiln-objects-\(UUID().uuidString)"
                return (try FileSystemObjectStore(root: root), { try? FileManager.default.removeItem(atPath: root) })
            case .s3, .s3UncheckedSignatures:
                let moto = try MotoServer(checkSignatures: self == .s3)
                // A key prefix with "/" puts %2F in every listing query: only where moto does not check signatures.
                var config = S3Config(
                    endpoint: moto.endpoint, region: "us-east-1", bucket: moto.bucket, prefix: self == .s3 ? "" : "kiln/",
                    accessKey: moto.accessKey, secretKey: moto.secretKey)
                config.multipartThreshold = 6 << 20  // exercise multipart with a 6 MiB object
                config.partSize = 5 << 20
                return (S3ObjectStore(config), { moto.stop() })
            }
        }
    }

    static let withSignatures: [Provider] = [.memory, .filesystem, .s3]
    static let slashListings: [Provider] = [.memory, .filesystem, .s3UncheckedSignatures]

    static func expectError(_ kind: ObjectStoreError.Kind, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected \(kind)", sourceLocation: sourceLocation)
        } catch let e as ObjectStoreError {
            #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected ObjectStoreError \(kind), got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: withSignatures)
    func putGetRangeSizeDelete(_ provider: Provider) async throws {
        let (store, cleanup) = try provider.make()
        defer { cleanup() }
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await store.put("t/blocks/01A/profiles.kcol", bytes)
        #expect(try await store.get("t/blocks/01A/profiles.kcol") == bytes)
        #expect(try await store.size("t/blocks/01A/profiles.kcol") == bytes.count)
        #expect(try await store.get("t/blocks/01A/profiles.kcol", range: 100..<200) == Array(bytes[100..<200]))
        #expect(try await store.get("t/blocks/01A/profiles.kcol", range: 9_990..<20_000) == Array(bytes[9_990...]), "clamped at the end")
        #expect(try await store.get("t/blocks/01A/profiles.kcol", range: 10_000..<10_010).isEmpty)
        await Self.expectError(.invalidRange) { _ = try await store.get("t/blocks/01A/profiles.kcol", range: 10_001..<10_010) }
        // Overwrite is whole; a repeated put is harmless.
        try await store.put("t/blocks/01A/profiles.kcol", [1, 2, 3])
        try await store.put("t/blocks/01A/profiles.kcol", [1, 2, 3])
        #expect(try await store.get("t/blocks/01A/profiles.kcol") == [1, 2, 3])
        try await store.put("empty", [])
        #expect(try await store.get("empty") == [])
        #expect(try await store.size("empty") == 0)
        try await store.delete("t/blocks/01A/profiles.kcol")
        try await store.delete("t/blocks/01A/profiles.kcol")  // idempotent
        #expect(try await store.size("t/blocks/01A/profiles.kcol") == nil)
        await Self.expectError(.notFound) { _ = try await store.get("t/blocks/01A/profiles.kcol") }
        await Self.expectError(.notFound) { _ = try await store.get("nothing/here", range: 0..<1) }
        #expect(try await store.size("t/blocks") == nil, "a prefix is not an object")
    }

    @Test(arguments: slashListings)
    func listsByPrefixInByteOrderWithPagination(_ provider: Provider) async throws {
        let (store, cleanup) = try provider.make()
        defer { cleanup() }
        var keys: [String] = []
        for tenant in ["a", "b"] {
            for i in 0..<13 { keys.append("\(tenant)/blocks/\(String(format: "%02d", i))/meta.json") }
        }
        keys.append("a/blocks-other")
        keys.append("ab")
        for k in keys.shuffled() { try await store.put(k, Array(k.utf8)) }

        var pages = 0
        var token: String?
        var seen: [ObjectInfo] = []
        repeat {
            let page = try await store.list(prefix: "a/blocks/", continuation: token, limit: 5)
            #expect(page.objects.count <= 5)
            seen += page.objects
            token = page.continuation
            pages += 1
        } while token != nil
        let expected = keys.filter { $0.hasPrefix("a/blocks/") }.sorted()
        #expect(seen.map(\.key) == expected)
        #expect(seen.allSatisfy { $0.size == $0.key.utf8.count })
        #expect(pages == 3)
        #expect(
            try await store.listAll(prefix: "a").map(\.key) == keys.filter { $0.hasPrefix("a") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        )
        #expect(try await store.listAll(prefix: "zzz").isEmpty)
        #expect(try await store.listAll(prefix: "").count == keys.count)
    }

    @Test(arguments: withSignatures)
    func rejectsKeysThatAreNotRelativePaths(_ provider: Provider) async throws {
        let (store, cleanup) = try provider.make()
        defer { cleanup() }
        for bad in ["", "/abs", "a//b", "a/../b", "./a", "a/", "a\u{0}b", String(repeating: "x", count: 1025)] {
            await Self.expectError(.invalidKey) { try await store.put(bad, [1]) }
            await Self.expectError(.invalidKey) { _ = try await store.get(bad) }
        }
    }

    /// Concurrent puts of one key: every reader sees one whole version.
    @Test(arguments: withSignatures)
    func concurrentPutsAreAtomic(_ provider: Provider) async throws {
        let (store, cleanup) = try provider.make()
        defer { cleanup() }
        let versions = (0..<8).map { v in [UInt8](repeating: UInt8(v), count: 200_000) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for v in versions { group.addTask { try await store.put("hot/key", v) } }
            group.addTask {
                for _ in 0..<20 {
                    if let bytes = try? await store.get("hot/key") {
                        #expect(bytes.count == 200_000 && Set(bytes).count == 1, "a torn read")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(versions.contains(try await store.get("hot/key")))
        // (A prefix without "/": see `s3UncheckedSignatures`.)
        #expect(try await store.listAll(prefix: "hot").map(\.key) == ["hot/key"], "no temporary file is listed")
    }
}

/// S3 specifics: multipart uploads, a wrong secret, an unreachable endpoint.
@Suite struct S3ObjectStoreTests {
    @Test func multipartUploadRoundTrips() async throws {
        let moto = try MotoServer(checkSignatures: true)
        defer { moto.stop() }
        var config = S3Config(endpoint: moto.endpoint, region: "us-east-1", bucket: moto.bucket, accessKey: moto.accessKey, secretKey: moto.secretKey)
        config.multipartThreshold = 6 << 20
        config.partSize = 5 << 20
        let store = S3ObjectStore(config)
        let big = (0..<(11 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 16) }
        try await store.put("t/blocks/01A/profiles.kcol", big)
        #expect(try await store.size("t/blocks/01A/profiles.kcol") == big.count)
        #expect(try await store.get("t/blocks/01A/profiles.kcol") == big)
        #expect(
            try await store.get("t/blocks/01A/profiles.kcol", range: (5 << 20) - 10..<(5 << 20) + 10)
                == Array(big[((5 << 20) - 10)..<((5 << 20) + 10)]))
    }

    @Test func aWrongSecretIsRefused() async throws {
        let moto = try MotoServer(checkSignatures: true)
        defer { moto.stop() }
        let store = S3ObjectStore(
            S3Config(endpoint: moto.endpoint, region: "us-east-1", bucket: moto.bucket, accessKey: moto.accessKey, secretKey: "wrong"))
        do {
            try await store.put("k", [1])
            Issue.record("a wrong secret was accepted")
        } catch let e as ObjectStoreError {
            #expect(e.kind == .http(403), "\(e)")
            #expect(e.reason.contains("SignatureDoesNotMatch"), "\(e)")
        }
    }

    /// 500, 503, a dropped connection and a stall (timeout) in front of a
    /// signature-checking moto: every operation retries through them and
    /// succeeds, and the bytes are right.
    @Test func retriesThroughServerErrorsDropsAndStalls() async throws {
        let moto = try MotoServer(checkSignatures: true)
        defer { moto.stop() }
        let proxy = try FaultProxy(upstream: moto.endpoint, schedule: ["503", "500", "drop", "stall", "pass", "503", "drop"])
        defer { proxy.stop() }
        var config = S3Config(
            endpoint: proxy.endpoint, region: "us-east-1", bucket: moto.bucket, accessKey: moto.accessKey, secretKey: moto.secretKey)
        config.timeoutMs = 1_000
        config.baseBackoffMs = 10
        let store = S3ObjectStore(config)
        let bytes = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try await store.put("t/blocks/01A/profiles.kcol", bytes)  // 503, 500, drop, stall, then through
        #expect(try await store.get("t/blocks/01A/profiles.kcol") == bytes)  // 503, drop, then through
        #expect(try proxy.requestsSeen() == 8)
    }

    /// Faults that outlast the retries: a clear error, not a wrong answer.
    @Test func persistentFaultsFailWithTheStatus() async throws {
        let moto = try MotoServer(checkSignatures: true)
        defer { moto.stop() }
        let proxy = try FaultProxy(upstream: moto.endpoint, schedule: Array(repeating: "503", count: 10))
        defer { proxy.stop() }
        var config = S3Config(
            endpoint: proxy.endpoint, region: "us-east-1", bucket: moto.bucket, accessKey: moto.accessKey, secretKey: moto.secretKey)
        config.maxRetries = 3
        config.baseBackoffMs = 1
        do {
            _ = try await S3ObjectStore(config).get("missing")
            Issue.record("answered through persistent 503s")
        } catch let e as ObjectStoreError {
            #expect(e.kind == .http(503) && e.reason.contains("InjectedFault"), "\(e)")
        }
        #expect(try proxy.requestsSeen() == 4)
    }

    @Test func anUnreachableEndpointFailsAfterRetries() async throws {
        var config = S3Config(endpoint: "http://127.0.0.1:\(try FreePort.find())", region: "us-east-1", bucket: "b", accessKey: "k", secretKey: "s")
        config.maxRetries = 2
        config.baseBackoffMs = 1
        let store = S3ObjectStore(config)
        do {
            _ = try await store.get("k")
            Issue.record("an unreachable endpoint answered")
        } catch let e as ObjectStoreError {
            #expect(e.kind == .unreachable && e.reason.contains("after 3 attempts"), "\(e)")
        }
    }
}
