import Foundation
import KilnBytes
import KilnFormat
import KilnTestSupport
import Testing

/// The cache chunk file (docs/format/cache.md): golden bytes, round trip,
/// and every corruption a reader must refuse.
@Suite struct CacheChunkTests {
    static let key = "tenant-a/blocks/01HF7YAT3KQ5V3M0Z8X7D2B1C4/profiles.kcol"
    static let payload = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }

    @Test func goldenChunkReadsForever() throws {
        let written = CacheChunk.encode(key: Self.key, index: 3, payload: Self.payload)
        let golden = TestData.url("cache/chunk-v1")
        if ProcessInfo.processInfo.environment["KILN_REGENERATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(written).write(to: golden)
        }
        #expect(try TestData.bytes("cache/chunk-v1") == written, "the format changed: bump CacheChunk.version")
        let (header, payload) = try CacheChunk.decode(try TestData.bytes("cache/chunk-v1"))
        #expect(header.key == Self.key && header.index == 3 && header.payloadLength == 300 && payload == Self.payload)
        #expect(try CacheChunk.decodeHeader(Array(written.prefix(header.size))) == header, "a header decodes from a prefix")
    }

    enum Damage: String, CaseIterable, Sendable {
        case badMagic, version, truncatedPayload, extraBytes, payloadBitFlip, truncatedHeader, hugeKeyLength

        func apply(_ b: inout [UInt8]) -> String {
            switch self {
            case .badMagic:
                b[0] = 0x58
                return "magic"
            case .version:
                b[4] = 9
                return "version"
            case .truncatedPayload:
                b.removeLast()
                return "the header says"
            case .extraBytes:
                b.append(0)
                return "the header says"
            case .payloadBitFlip:
                b[b.count - 5] ^= 1
                return "CRC32C"
            case .truncatedHeader:
                b.removeSubrange(20...)
                return "left"
            case .hugeKeyLength:
                b.replaceSubrange(5..<7, with: [0xFF, 0x7F])
                return "exceeds"
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func corruptChunksAreRefused(_ damage: Damage) {
        var bytes = CacheChunk.encode(key: Self.key, index: 3, payload: Self.payload)
        let reason = damage.apply(&bytes)
        do {
            _ = try CacheChunk.decode(bytes)
            Issue.record("\(damage) decoded")
        } catch {
            #expect(error.reason.contains(reason), "\(damage): \(error)")
        }
    }
}
