import Foundation
import KilnArrow
import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

/// Parca's v2 Arrow samples (testdata/arrow/parca-v2-samples.arrows, written
/// by pyarrow as Parca Agent lays them out) as profiles, checked against
/// pyarrow's own reading of the same rows (the .rows.jsonl beside it).
@Suite struct ParcaArrowSamplesTests {
    static func golden() throws -> (converted: [DecodedProfile], rows: [[String: Any]]) {
        let stream = try ArrowStreamReader.read(try TestData.bytes("arrow/parca-v2-samples.arrows"))
        let text = String(decoding: try TestData.bytes("arrow/parca-v2-samples.rows.jsonl"), as: UTF8.self)
        let rows = try text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        return (try ParcaArrowSamples.convert(stream), rows)
    }

    static func label(_ c: DecodedProfile, _ name: String) -> String? { c.labels.first { $0.name == name }?.value }

    @Test func everyRowIsASampleOfItsSeries() throws {
        let (converted, rows) = try Self.golden()
        // Totals by (producer, comm), from pyarrow's rows and from the profiles.
        var sent: [String: Int64] = [:]
        for r in rows {
            let labels = r["labels"] as! [String: Any]
            sent["\(r["producer"]!)/\(labels["comm"]!)", default: 0] += (r["value"] as! NSNumber).int64Value
        }
        var got: [String: Int64] = [:]
        for c in converted { got["\(Self.label(c, "__name__")!)/\(Self.label(c, "comm")!)", default: 0] += c.profile.total(ofType: 0) }
        #expect(got == sent)
        #expect(converted.reduce(0) { $0 + $1.profile.sampleCount } == rows.count)
        // A null label is absent; comm names the service; values are stored as sent.
        #expect(
            converted.contains { Self.label($0, "pid") == nil } && converted.allSatisfy { Self.label($0, "service_name") == Self.label($0, "comm") })
        #expect(converted.allSatisfy { Self.label($0, "__delta__") == "false" })
        let cpu = try #require(converted.first { Self.label($0, "__name__") == "parca_agent" }).profile
        #expect(cpu.strings[cpu.sampleTypes[0].type] == "samples" && cpu.strings[cpu.periodType!.type] == "cpu" && cpu.period == 1_000_000_000 / 19)
    }

    @Test func stacksKeepTheAgentsFrames() throws {
        let (converted, rows) = try Self.golden()
        // The first row's stack, leaf first, as pyarrow reads it and as the profile holds it.
        let first = try #require(converted.first).profile
        let stack = rows[0]["stacktrace"] as! [[String: Any]]
        let names: [String] = first.locations(ofSample: 0).map { i in
            let l = first.locations[Int(i)]
            guard let line = first.lines(ofLocation: Int(i)).first else { return "0x" + String(l.address, radix: 16) }
            return first.strings[first.functions[Int(line.functionIndex)].name]
        }
        let expected: [String] = stack.map { frame in
            let lines = frame["lines"] as? [[String: Any]] ?? []
            guard let f = lines.first?["function"] as? [String: Any] else {
                return "0x" + String((frame["address"] as! NSNumber).uint64Value, radix: 16)
            }
            return f["system_name"] as! String
        }
        #expect(names == expected)
        // Kernel frames keep [kernel.kallsyms] as their mapping; interpreted frames have none.
        for (i, frame) in zip(first.locations(ofSample: 0), stack) {
            let l = first.locations[Int(i)]
            if let file = frame["mapping_file"] as? String {
                #expect(first.strings[first.mappings[Int(l.mappingIndex)].filename] == file)
            } else {
                #expect(l.mappingIndex == Location.noMapping)
            }
        }
    }

    @Test func otherRecordsAreRefused() throws {
        let types = try ArrowStreamReader.read(try TestData.bytes("arrow/types.arrows"))
        #expect(throws: IngestError(.invalidArgument, "missing schema version in metadata (parca_write_schema_version)")) {
            try ParcaArrowSamples.convert(types)
        }
        var v1 = types
        v1.metadata["parca_write_schema_version"] = "v1"
        #expect(throws: IngestError(.invalidArgument, "unsupported schema version \"v1\"")) { try ParcaArrowSamples.convert(v1) }
        var v2 = types
        v2.metadata["parca_write_schema_version"] = "v2"
        #expect(throws: IngestError(.invalidArgument, "missing column \"labels\"")) { try ParcaArrowSamples.convert(v2) }
    }
}
