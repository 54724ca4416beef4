import KilnBytes
import Testing

@testable import KilnFormat

/// Round trips of every encoding and codec over value shapes that stress
/// them: extremes of both signs, sorted runs with jumps, constant runs,
/// multiples of a period, widths 0 through 64.
@Suite struct ColumnarCodecTests {
    static func shapes() -> [(String, [UInt64])] {
        var rng = SystemRandomNumberGenerator()
        let sorted = (0..<1000).reduce(into: [UInt64]()) { a, i in
            a.append(
                (a.last ?? 1_700_000_000_000_000_000) + 15_000_000_000 + UInt64.random(in: 0..<5_000_000, using: &rng) + (i % 300 == 0 ? 1 << 40 : 0))
        }
        return [
            ("empty", []),
            ("one", [42]),
            ("zeros", [UInt64](repeating: 0, count: 300)),
            ("extremes", [0, .max, 1, .max - 1, UInt64(bitPattern: Int64.min), UInt64(bitPattern: Int64.max), 0x8000_0000_0000_0000]),
            ("random", (0..<777).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) }),
            ("small", (0..<500).map { _ in UInt64.random(in: 0..<20, using: &rng) }),
            ("period", (0..<500).map { _ in 10_000_000 * UInt64.random(in: 1...20, using: &rng) }),
            ("sorted with jumps", sorted),
            ("descending", (0..<400).map { UInt64(10_000 - $0 * 7) }),
            ("runs", (0..<900).map { UInt64($0 / 100) }),
            ("negatives", (0..<300).map { UInt64(bitPattern: Int64($0) * -1_000_003) }),
        ] + (0...64).map { w in ("width \(w)", Self.values(ofWidth: w)) }
    }

    /// 130 values whose spread needs exactly `w` bits.
    static func values(ofWidth w: Int) -> [UInt64] {
        guard w > 0 else { return [UInt64](repeating: 0, count: 130) }
        let top: UInt64 = w == 64 ? .max : (UInt64(1) << UInt64(w)) - 1
        return (0..<130).map { i -> UInt64 in i % 2 == 0 ? top : UInt64(i % 3) }
    }

    @Test(arguments: ColumnEncoding.allCases)
    func integerEncodingsRoundTrip(_ encoding: ColumnEncoding) throws {
        for (name, values) in Self.shapes() {
            for type in [ColumnType.uint64, .int64] {
                for codec in PageCodec.allCases {
                    let page = try Page.encode(.integers(values), type: type, encodings: [encoding], codec: codec).bytes
                    let decoded = try page.withDecodableBytes { buffer throws(DecodeError) in
                        var r = ByteReader(buffer)
                        let (header, values) = try Page.decode(&r, type: type)
                        #expect(r.atEnd)
                        #expect(header.encoding == encoding || values.count == 0)
                        return values
                    }
                    #expect(decoded == .integers(values), "\(encoding) \(type) \(codec) \(name)")
                }
            }
        }
    }

    /// One decoder across pages of every shape, codec and encoding, large
    /// after small and small after large: each page's values, nothing left
    /// from the one before.
    @Test func onePageDecoderReusedAcrossPages() throws {
        var decoder = PageDecoder()
        var pages = 0
        for (name, values) in Self.shapes().shuffled() {
            for codec in PageCodec.allCases.shuffled() {
                let encoding = ColumnEncoding.allCases.randomElement()!
                let page = try Page.encode(.integers(values), type: .uint64, encodings: [encoding], codec: codec).bytes
                try page.withDecodableBytes { buffer throws(DecodeError) in
                    var r = ByteReader(buffer)
                    _ = try decoder.decode(&r, type: .uint64)
                    #expect(r.atEnd)
                }
                #expect(decoder.values == values, "\(encoding) \(codec) \(name)")
                pages += 1
            }
        }
        #expect(pages > 200)
    }

    @Test func writerPicksTheSmallestEncodingAndKeepsStatistics() throws {
        let times = Self.shapes().first { $0.0 == "sorted with jumps" }!.1
        let page = try Page.encode(.integers(times), type: .int64, encodings: ColumnEncoding.allCases, codec: .none).bytes
        let header = try page.withDecodableBytes { buffer throws(DecodeError) in
            var r = ByteReader(buffer)
            return try Page.decodeHeader(&r, type: .int64)
        }
        #expect(header.encoding == .deltaBitPacked)
        #expect(header.statistics == PageStatistics(min: times.min()!, max: times.max()!))
        // Varint would take ~9 bytes per timestamp; delta packing takes ~3.
        #expect(header.rawSize < times.count * 4)
    }

    @Test func bytesRoundTrip() throws {
        let strings: [[UInt8]] = ["", "runtime.goexit", "github.com/acme/service/pkg1.Function1", String(repeating: "é", count: 300)].map {
            Array($0.utf8)
        }
        for codec in PageCodec.allCases {
            let page = try Page.encode(.bytes(strings), type: .bytes, encodings: [.plain], codec: codec).bytes
            let decoded = try page.withDecodableBytes { buffer throws(DecodeError) in
                var r = ByteReader(buffer)
                return try Page.decode(&r, type: .bytes).values
            }
            #expect(decoded == .bytes(strings))
        }
    }

    @Test func bitPackingIsDenseAndLittleEndian() throws {
        var w = ByteWriter()
        BitPacking.pack([1, 2, 3, 4], width: 3, into: &w)
        // Values at bits 0–2, 3–5, 6–8, 9–11: byte 0 = bits 0, 4, 6, 7 set (0xD1); byte 1 = bit 11 (0x08).
        #expect(w.bytes == [0xD1, 0x08])
    }

    /// The unpacking kernel against `pack`, for every width and every count
    /// up to two miniblocks: the fast path, the padded tail and their seam.
    @Test func unpackerReadsWhatPackWrote() throws {
        var rng = SystemRandomNumberGenerator()
        for w in 1...64 {
            let mask: UInt64 = w == 64 ? .max : (1 << UInt64(w)) - 1
            for count in [1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256] {
                let values = (0..<count).map { _ in UInt64.random(in: 0...UInt64.max, using: &rng) & mask }
                var writer = ByteWriter()
                BitPacking.pack(values, width: w, into: &writer)
                #expect(writer.bytes.count == BitPacking.byteCount(values: count, width: w))
                var out = [UInt64](repeating: 0, count: count)
                writer.bytes.withUnsafeBytes { src in
                    out.withUnsafeMutableBufferPointer { BitUnpacker.unpack(count: count, width: w, from: src, into: $0.baseAddress!) }
                }
                #expect(out == values, "width \(w), count \(count)")
            }
        }
    }
}
