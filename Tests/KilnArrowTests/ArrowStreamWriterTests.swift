import Foundation
import KilnArrow
import KilnTestSupport
import Testing

/// The Arrow IPC stream, read back by pyarrow (the reference reader): the
/// schema's exact types, dictionaries, nulls and list offsets.
@Suite struct ArrowStreamWriterTests {
    @Test func pyarrowReadsEveryColumnType() throws {
        let stream = ArrowStreamWriter.stream(
            [
                .uint64("cumulative", [10, 7, 3, UInt64.max]),
                .int32("parent", [-1, 0, 0, 1]),
                .bool("inlined", [false, true, false, true]),
                .listUInt32("children", [[1, 2], [3], nil, nil]),
                .dictionaryBinary("function_name", id: 0, indices: [nil, 0, 1, 0], dictionary: [Array("main".utf8), Array("work".utf8)]),
                .dictionaryBinary("mapping_file", id: 1, indices: [nil, nil, nil, nil], dictionary: []),
            ], rows: 4)
        let path = NSTemporaryDirectory() + "kiln-arrow-\(UUID().uuidString).arrows"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(stream).write(to: URL(fileURLWithPath: path))
        let script = """
            import json, sys, pyarrow as pa
            reader = pa.ipc.open_stream(open(sys.argv[1], "rb").read())
            batch = reader.read_next_batch()
            out = {"types": {f.name: str(f.type) for f in batch.schema},
                   "rows": batch.num_rows,
                   "data": {name: batch.column(name).to_pylist() for name in batch.schema.names if name not in ("function_name", "mapping_file")},
                   "function_name": [None if v is None else v.decode() for v in batch.column("function_name").to_pylist()],
                   "mapping_file": batch.column("mapping_file").to_pylist(),
                   "children_values_nulls": batch.column("children").values.null_count}
            try:
                reader.read_next_batch()
                out["extra"] = True
            except StopIteration:
                out["extra"] = False
            print(json.dumps(out))
            """
        let r = try Subprocess.run([PythonEnvironment.python, "-c", script, path])
        #expect(r.status == 0, "pyarrow: \(r.stderr)")
        let out = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(
            out["types"] as? [String: String] == [
                "cumulative": "uint64", "parent": "int32", "inlined": "bool", "children": "list<item: uint32 not null>",
                "function_name": "dictionary<values=binary, indices=int32, ordered=0>",
                "mapping_file": "dictionary<values=binary, indices=int32, ordered=0>",
            ])
        #expect(out["rows"] as? Int == 4 && out["extra"] as? Bool == false)
        let data = try #require(out["data"] as? [String: [Any]])
        #expect((data["cumulative"] as? [NSNumber])?.map(\.uint64Value) == [10, 7, 3, UInt64.max])
        #expect(data["parent"] as? [Int] == [-1, 0, 0, 1])
        #expect(data["inlined"] as? [Bool] == [false, true, false, true])
        #expect((data["children"]?[0] as? [Int]) == [1, 2] && (data["children"]?[1] as? [Int]) == [3] && data["children"]?[2] is NSNull)
        #expect((out["function_name"] as? [Any])?.compactMap { $0 as? String } == ["main", "work", "main"])
        #expect((out["mapping_file"] as? [Any])?.allSatisfy { $0 is NSNull } == true)
        #expect(out["children_values_nulls"] as? Int == 0)
    }
}
