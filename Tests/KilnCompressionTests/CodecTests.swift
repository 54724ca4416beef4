import KilnCompression
import KilnTestSupport
import Testing

@Suite struct CodecTests {
    /// Compressible but not trivial input: folded-stack text from a real py-spy capture.
    static func sample() throws -> [UInt8] { try TestData.bytes("folded/py-spy-0.4.3-raw-threads-idle-nolineno.folded") }

    @Test func gzipRoundTrip() throws {
        let input = try Self.sample()
        for level: Int32 in [1, 6, 9] {
            let packed = try Gzip.compress(input, level: level)
            #expect(Gzip.isGzip(packed))
            #expect(packed.count < input.count)
            #expect(try Gzip.decompress(packed) == input)
        }
        #expect(try Gzip.decompress(Gzip.compress([])) == [])
    }

    @Test func gzipReadsRealGoProfile() throws {
        let raw = try Gzip.decompress(TestData.bytes("pprof/go-cpu.pb.gz"))
        // feasibility.md §4: the 5 s Go CPU profile is 25.9 KB raw.
        #expect(raw.count > 20_000 && raw.count < 30_000)
    }

    @Test func gzipConcatenatedMembers() throws {
        let a = Array("hello ".utf8)
        let b = Array("world".utf8)
        #expect(try Gzip.decompress(Gzip.compress(a) + Gzip.compress(b)) == a + b)
    }

    @Test func gzipRejectsTruncatedAndCorrupt() throws {
        let packed = try Gzip.compress(Self.sample())
        #expect(throws: CompressionError.self) { try Gzip.decompress(Array(packed.prefix(packed.count / 2))) }
        var corrupt = packed
        corrupt[20] ^= 0xff
        corrupt[21] ^= 0xff
        #expect(throws: CompressionError.self) { try Gzip.decompress(corrupt) }
        #expect(throws: CompressionError.self) { try Gzip.decompress([0x1f, 0x8b, 0, 0]) }
    }

    @Test func gzipEnforcesOutputLimit() throws {
        // 4 MB of zeros compresses to ~4 KB: a miniature zip bomb.
        let bomb = try Gzip.compress([UInt8](repeating: 0, count: 4_000_000))
        #expect(bomb.count < 50_000)
        #expect(throws: CompressionError.self) { try Gzip.decompress(bomb, maxOutputBytes: 1_000_000) }
        #expect(try Gzip.decompress(bomb, maxOutputBytes: 4_000_000).count == 4_000_000)
    }

    @Test func lz4RoundTrip() throws {
        let input = try Self.sample()
        let packed = try LZ4.compress(input)
        #expect(packed.count < input.count)
        #expect(try LZ4.decompress(packed, decompressedSize: input.count) == input)
        #expect(try LZ4.decompress(LZ4.compress([]), decompressedSize: 0) == [])
        #expect(throws: CompressionError.self) { try LZ4.decompress(packed, decompressedSize: input.count + 1) }
        #expect(throws: CompressionError.self) { try LZ4.decompress(Array(packed.prefix(10)), decompressedSize: input.count) }
    }

    @Test func zstdRoundTrip() throws {
        let input = try Self.sample()
        let packed = try Zstd.compress(input)
        #expect(packed.count < input.count)
        #expect(try Zstd.decompress(packed, decompressedSize: input.count) == input)
        #expect(try Zstd.decompress(Zstd.compress([]), decompressedSize: 0) == [])
        #expect(throws: CompressionError.self) { try Zstd.decompress(packed, decompressedSize: input.count - 1) }
        #expect(throws: CompressionError.self) { try Zstd.decompress(Array(packed.prefix(10)), decompressedSize: input.count) }
    }

    @Test func zstdCompressesBetterThanLZ4OnStacks() throws {
        let input = try Self.sample()
        #expect(try Zstd.compress(input).count < LZ4.compress(input).count)
    }
}
