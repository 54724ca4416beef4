import Foundation
import KilnArrow
import KilnTestSupport
import Testing

/// The Arrow IPC stream reader against pyarrow's own files
/// (testdata/arrow, tools/make-arrow-goldens.py): every row as pyarrow
/// reads it; damaged streams refused with an offset, never a crash.
@Suite struct ArrowStreamReaderTests {
    static let goldens = ["parca-v2-samples", "types", "types-plain"]

    static func expectedRows(_ name: String) throws -> [[String]] {
        let text = String(decoding: try TestData.bytes("arrow/\(name).rows.jsonl"), as: UTF8.self)
        var batches: [[String]] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# batch") { batches.append([]) } else { batches[batches.count - 1].append(String(line)) }
        }
        return batches
    }

    @Test(arguments: goldens)
    func readsWhatPyarrowWrote(_ name: String) throws {
        let stream = try ArrowStreamReader.read(try TestData.bytes("arrow/\(name).arrows"))
        let expected = try Self.expectedRows(name)
        #expect(stream.batches.count == expected.count)
        for (b, batch) in stream.batches.enumerated() {
            let rows = (0..<batch.length).map { ArrowJSON.row(batch, $0, stream) }
            for (i, (got, want)) in zip(rows, expected[b]).enumerated() where got != want {
                Issue.record("\(name) batch \(b) row \(i):\n got  \(got)\n want \(want)")
                break
            }
            #expect(rows.count == expected[b].count)
        }
    }

    @Test func theParcaSchemaReadsAsTheAgentWritesIt() throws {
        let stream = try ArrowStreamReader.read(try TestData.bytes("arrow/parca-v2-samples.arrows"))
        #expect(stream.metadata["parca_write_schema_version"] == "v2")
        #expect(
            stream.fields.map(\.name) == [
                "labels", "stacktrace", "stacktrace_id", "value", "producer", "sample_type", "sample_unit", "period_type", "period_unit",
                "temporality", "period", "duration", "timestamp",
            ])
        #expect(stream.fields[2].extensionName == "arrow.uuid" && stream.fields[2].type == .fixedSizeBinary(16))
        #expect(stream.fields[1].type == .listView && stream.fields[1].children[0].dictionary != nil)
        let location = stream.fields[1].children[0]
        #expect(location.children.map(\.name) == ["address", "frame_type", "mapping_file", "mapping_build_id", "lines"])
        // Dictionaries nest: lines → function (a dictionary of structs) → filename (a dictionary of strings).
        let function = try #require(location.child("lines")?.children.first?.child("function"))
        #expect(function.dictionary != nil && function.child("system_name")?.type == .utf8View && function.child("filename")?.dictionary != nil)
    }

    @Test func aDamagedStreamIsRefusedWithAnOffset() throws {
        let good = try TestData.bytes("arrow/parca-v2-samples.arrows")
        // Every truncation either fails with an offset inside the input or (cut at a message boundary) reads fewer batches.
        for cut in stride(from: 0, to: good.count, by: 7) {
            do {
                let s = try ArrowStreamReader.read(Array(good.prefix(cut)))
                #expect(s.batches.isEmpty, "a stream cut at \(cut) read a batch")
            } catch {
                #expect(error.offset >= 0 && error.offset <= cut, "cut \(cut): \(error)")
            }
        }
        // Flipped bytes: refused or read, never a crash (the fuzz target does this at scale).
        var random = SeededRandom(seed: 7)
        for _ in 0..<2000 {
            var bad = good
            for _ in 0..<3 { bad[Int(random.next() % UInt64(bad.count))] ^= UInt8(truncatingIfNeeded: random.next() | 1) }
            _ = try? ArrowStreamReader.read(bad)
        }
        // The inflation bound holds.
        #expect(throws: ArrowReadError.self) { try ArrowStreamReader.read(good, maxBytes: 4096) }
        do {
            _ = try ArrowStreamReader.read(good, maxBytes: 4096)
        } catch {
            #expect(error.reason.contains("inflates past the limit of 4096 bytes"))
        }
    }
}

/// Inputs the fuzzer found (testdata/arrow/fuzz-*.arrows): each refused with an offset inside it.
@Suite struct ArrowFuzzFindingsTests {
    @Test func fuzzFindingsAreRefusedWithAnOffsetInside() throws {
        let dir = TestData.url("arrow")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("fuzz-") }
        #expect(!files.isEmpty)
        for f in files {
            let bytes = try TestData.bytes("arrow/\(f)")
            do {
                _ = try ArrowStreamReader.read(bytes)
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count, "\(f): \(error)")
            }
        }
    }
}
