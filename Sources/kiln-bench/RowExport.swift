import Foundation
import KilnModel
import KilnQuery
import KilnStorage

/// Writes the rows a query benchmark reads, for tools/bench/duckdb_compare.py
/// to load into Parquet and aggregate with DuckDB: flat little-endian column
/// files, one value per row.
///
/// - `samples.time.i64`, `samples.series.u16`, `samples.stack.u32`,
///   `samples.value.i64`: every sample of one profile type. Stack ids are
///   global: each block's stack nodes are interned by (parent, frame names),
///   so equal call paths have equal ids across blocks — the remap Kiln does
///   at query time is done here, in DuckDB's favour.
/// - `profiles.time.i64`, `profiles.series.u16`, `profiles.total.i64`: one
///   row per profile, as Kiln's time-series queries read.
/// - `series.json`: the label set of each series id.
enum RowExport {
    static func write(_ blocks: [Block], type: ProfileTypeID, to dir: String) async throws -> Int {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let names = [
            "samples.time.i64", "samples.series.u16", "samples.stack.u32", "samples.value.i64",
            "profiles.time.i64", "profiles.series.u16", "profiles.total.i64",
        ]
        var handles: [String: FileHandle] = [:]
        for n in names {
            _ = FileManager.default.createFile(atPath: dir + "/" + n, contents: nil)
            handles[n] = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/" + n))
        }
        defer { for h in handles.values { try? h.close() } }
        func write<T: FixedWidthInteger>(_ name: String, _ values: [T]) {
            values.withUnsafeBytes { handles[name]!.write(Data($0)) }
        }
        var seriesIDs: [LabelSet: UInt16] = [:]
        var seriesLabels: [[String: String]] = []
        var global: [FrameKey: UInt32] = [FrameKey(parent: UInt32.max, frame: ""): 0]
        var rows = 0
        for block in blocks {
            let s = block.symbols
            // Local stack node → global id, parents first (a parent's id is below its children's).
            var map = [UInt32](repeating: 0, count: s.stackCount)
            for node in 1..<max(s.stackCount, 1) {
                let location = s.locations[Int(s.stackLocations[node])]
                let frame =
                    location.lines.isEmpty
                    ? "0x" + String(location.address, radix: 16)
                    : location.lines.map { s.strings[Int(s.functions[Int($0.function)].name)] }.joined(separator: ";")
                let key = FrameKey(parent: map[Int(s.stackParents[node])], frame: frame)
                if let id = global[key] {
                    map[node] = id
                } else {
                    let id = UInt32(global.count)
                    global[key] = id
                    map[node] = id
                }
            }
            for ref in block.select(Query.typed(LabelSelector(), type)) {
                let labels = block.labels(of: ref)
                let id: UInt16
                if let known = seriesIDs[labels] {
                    id = known
                } else {
                    id = UInt16(seriesLabels.count)
                    seriesIDs[labels] = id
                    seriesLabels.append(Dictionary(uniqueKeysWithValues: labels.labels.map { ($0.name, $0.value) }))
                }
                var pTime: [Int64] = []
                var pSeries: [UInt16] = []
                var pTotal: [Int64] = []
                var sTime: [Int64] = []
                var sSeries: [UInt16] = []
                var sStack: [UInt32] = []
                var sValue: [Int64] = []
                for row in block.profileRows(of: ref) {
                    let time = block.profileTimeNanos(row)
                    pTime.append(time)
                    pSeries.append(id)
                    pTotal.append(block.profileTotalValue(row))
                    try await block.forEachSampleRun(profiles: [row]) { stacks, values in
                        for (st, v) in zip(stacks, values) {
                            sTime.append(time)
                            sSeries.append(id)
                            sStack.append(map[Int(st)])
                            sValue.append(Int64(bitPattern: v))
                        }
                    }
                }
                write("profiles.time.i64", pTime)
                write("profiles.series.u16", pSeries)
                write("profiles.total.i64", pTotal)
                write("samples.time.i64", sTime)
                write("samples.series.u16", sSeries)
                write("samples.stack.u32", sStack)
                write("samples.value.i64", sValue)
                rows += sTime.count
            }
        }
        try JSONSerialization.data(withJSONObject: seriesLabels, options: [.sortedKeys]).write(to: URL(fileURLWithPath: dir + "/series.json"))
        return rows
    }

    struct FrameKey: Hashable {
        var parent: UInt32
        var frame: String
    }
}
