import Foundation
import KilnCompression
import KilnPprof
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

@Suite struct PprofDecoderTests {
    static let allProfiles = TestData.goProfiles.map { "pprof/" + $0 } + TestData.pythonProfiles.map { "pprof/" + $0 }

    /// Kiln's decoder agrees field by field with swift-protobuf's generated
    /// decoder (an independent implementation) on every real profile.
    @Test(arguments: allProfiles)
    func agreesWithGeneratedDecoder(_ file: String) throws {
        let bytes = try TestData.bytes(file)
        let p = try PprofDecoder.decode(bytes)
        let raw = Gzip.isGzip(bytes) ? try Gzip.decompress(bytes) : bytes
        let g = try Google_V1_Profile(serializedBytes: raw)

        #expect(p.strings.count == g.stringTable.count)
        for i in 0..<p.strings.count { #expect(p.strings[i] == g.stringTable[i]) }
        #expect(p.sampleTypes.map { [$0.type, $0.unit] } == g.sampleType.map { [$0.type, $0.unit] })
        #expect(p.sampleCount == g.sample.count)
        for (i, s) in g.sample.enumerated() {
            #expect(p.locations(ofSample: i).map { p.locations[Int($0)].id } == s.locationID)
            #expect(Array(p.sampleValues[(i * p.sampleTypes.count)..<((i + 1) * p.sampleTypes.count)]) == s.value)
            #expect(p.labels(ofSample: i).map { [$0.key, $0.str, $0.num, $0.numUnit] } == s.label.map { [$0.key, $0.str, $0.num, $0.numUnit] })
        }
        #expect(p.locations.count == g.location.count)
        for (i, l) in g.location.enumerated() {
            let loc = p.locations[i]
            #expect(loc.id == l.id)
            #expect(loc.address == l.address)
            #expect((loc.mappingIndex == Location.noMapping ? 0 : p.mappings[Int(loc.mappingIndex)].id) == l.mappingID)
            #expect(p.lines(ofLocation: i).map { p.functions[Int($0.functionIndex)].id } == l.line.map(\.functionID))
            #expect(p.lines(ofLocation: i).map(\.line) == l.line.map(\.line))
        }
        #expect(
            p.functions.map { [Int64($0.id), $0.name, $0.systemName, $0.filename, $0.startLine] }
                == g.function.map { [Int64($0.id), $0.name, $0.systemName, $0.filename, $0.startLine] })
        #expect(
            p.mappings.map { [$0.id, $0.memoryStart, $0.memoryLimit, $0.fileOffset] }
                == g.mapping.map { [$0.id, $0.memoryStart, $0.memoryLimit, $0.fileOffset] })
        #expect(p.timeNanos == g.timeNanos)
        #expect(p.durationNanos == g.durationNanos)
        #expect(p.period == g.period)
        #expect(p.periodType.map { [$0.type, $0.unit] } ?? [0, 0] == [g.periodType.type, g.periodType.unit])
        #expect(p.defaultSampleType == g.defaultSampleType)
        #expect(p.comments == g.comment)
    }

    /// Encoding is lossless: decode(encode(p)) == p, and the generated decoder
    /// reads Kiln's encoding as the same message as the original.
    @Test(arguments: allProfiles)
    func encodeRoundTrip(_ file: String) throws {
        let bytes = try TestData.bytes(file)
        let p = try PprofDecoder.decode(bytes)
        let encoded = PprofEncoder.encode(p)
        #expect(try PprofDecoder.decodeRaw(encoded) == p)
        let raw = Gzip.isGzip(bytes) ? try Gzip.decompress(bytes) : bytes
        #expect(try Google_V1_Profile(serializedBytes: encoded) == Google_V1_Profile(serializedBytes: raw))
        #expect(try PprofDecoder.decode(PprofEncoder.encodeGzip(p)) == p)
    }

    /// The Go CPU profile's totals match `go tool pprof -top` of the same file
    /// (testdata/pprof/go-cpu.top.txt: 9.91 s total, sha256.block 3.16 s flat).
    @Test func goCPUTotalsMatchGoToolPprof() throws {
        let p = try PprofDecoder.decode(TestData.bytes("pprof/go-cpu.pb.gz"))
        let cpu = try #require(p.sampleTypes.firstIndex { p.strings[$0.type] == "cpu" })
        #expect(p.total(ofType: cpu) == 9_910_000_000)
        var flat: [String: Int64] = [:]
        for i in 0..<p.sampleCount {
            let leaf = Int(p.locations(ofSample: i).first!)
            let fn = p.functions[Int(p.lines(ofLocation: leaf).first!.functionIndex)]
            flat[p.strings[fn.name], default: 0] += p.value(ofSample: i, type: cpu)
        }
        #expect(flat["crypto/sha256.block"] == 3_160_000_000)
        #expect(flat["math.sin"] == 2_050_000_000)
        #expect(flat["sort.partition"] == 1_520_000_000)
    }

    /// `go tool pprof` (the reference reader) accepts what Kiln encodes.
    @Test(arguments: ["pprof/go-cpu.pb.gz", "pprof/go-heap.pb.gz", "pprof/pyroscope-io-1.4.0-process_cpu.pb"])
    func goToolPprofReadsKilnEncoding(_ file: String) throws {
        let p = try PprofDecoder.decode(TestData.bytes(file))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-\(UUID().uuidString).pb.gz")
        try Data(PprofEncoder.encodeGzip(p)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let r = try Subprocess.run(["go", "tool", "pprof", "-raw", url.path], environment: ["HOME": NSTemporaryDirectory()])
        #expect(r.status == 0, "go tool pprof: \(r.stderr)")
        #expect(r.stdout.contains("Samples:"))
    }

    @Test func emptyInputIsAnEmptyProfile() throws {
        let p = try PprofDecoder.decode([])
        #expect(p.sampleCount == 0)
        #expect(p.strings.count == 1)
    }

    @Test func acceptsUnpackedRepeatedFields() throws {
        // sample_type{1,2}, sample{location_id 1 (unpacked), value 5 (unpacked)}, location{id 1},
        // string_table "", "a", "b"
        var bytes: [UInt8] = [0x0a, 0x04, 0x08, 0x01, 0x10, 0x02]
        bytes += [0x12, 0x04, 0x08, 0x01, 0x10, 0x05]
        bytes += [0x22, 0x02, 0x08, 0x01]
        bytes += [0x32, 0x00, 0x32, 0x01, 0x61, 0x32, 0x01, 0x62]
        let p = try PprofDecoder.decodeRaw(bytes)
        #expect(p.sampleCount == 1)
        #expect(p.value(ofSample: 0, type: 0) == 5)
        #expect(p.locations(ofSample: 0).map { p.locations[Int($0)].id } == [1])
    }

    /// Each malformed input is rejected with a message naming the problem.
    @Test(
        arguments: [
            ("truncated varint", [0x48, 0x80], "truncated varint"),
            ("length past end", [0x32, 0x05, 0x61], "runs past the end"),
            ("bad wire type", [0x0f], "invalid wire type"),
            ("field zero", [0x00, 0x01], "field number 0"),
            ("first string not empty", [0x32, 0x01, 0x61], "string_table[0]"),
            ("string index out of range", [0x0a, 0x02, 0x08, 0x07, 0x32, 0x00], "refers to string 7"),
            ("value count mismatch", [0x0a, 0x00, 0x12, 0x04, 0x10, 0x01, 0x10, 0x02, 0x32, 0x00], "has 2 values"),
            ("dangling location", [0x0a, 0x00, 0x12, 0x04, 0x08, 0x09, 0x10, 0x01, 0x32, 0x00], "location 9"),
            ("dangling function", [0x22, 0x06, 0x08, 0x01, 0x22, 0x02, 0x08, 0x04, 0x32, 0x00], "function 4"),
            ("dangling mapping", [0x22, 0x04, 0x08, 0x01, 0x10, 0x03, 0x32, 0x00], "mapping 3"),
            ("duplicate location id", [0x22, 0x02, 0x08, 0x05, 0x22, 0x02, 0x08, 0x05, 0x32, 0x00], "duplicate location id 5"),
            ("wrong wire type for sample", [0x10, 0x01], "wire type"),
        ] as [(String, [UInt8], String)])
    func rejectsMalformed(_ name: String, _ bytes: [UInt8], _ expected: String) {
        do {
            _ = try PprofDecoder.decodeRaw(bytes)
            Issue.record("\(name): decoded")
        } catch {
            #expect(error.description.contains(expected), "\(name): \(error)")
        }
    }

    @Test func rejectsBadGzip() throws {
        let good = try TestData.bytes("pprof/go-cpu.pb.gz")
        do {
            _ = try PprofDecoder.decode(Array(good.prefix(good.count / 2)))
            Issue.record("truncated gzip decoded")
        } catch {
            #expect(error.description.contains("bad gzip"))
        }
    }

    @Test func enforcesDecompressedLimit() throws {
        let good = try TestData.bytes("pprof/go-cpu.pb.gz")
        #expect(throws: PprofError.self) { try PprofDecoder.decode(good, maxDecompressedBytes: 1000) }
    }

    @Test func truncatedRawProfilesNeverCrash() throws {
        let raw = try Gzip.decompress(TestData.bytes("pprof/go-heap.pb.gz"))
        for n in stride(from: 0, to: raw.count, by: 7) {
            _ = try? PprofDecoder.decodeRaw(Array(raw.prefix(n)))
        }
    }
}
