import Foundation
import KilnFormat
import KilnHead
import KilnModel

/// Writes a head as a block (docs/format/block.md): `index.kcol`,
/// `symbols.kcol`, `profiles.kcol`, then `meta.json`, into `<ulid>.tmp/`,
/// each file fsynced; then renames the directory to `<ulid>` and fsyncs its
/// parent. A crash at any point leaves either no block or a complete one
/// (plus a `.tmp` directory that `BlockDirectory` removes on start).
///
/// Series are ordered by label set, profiles by (series, time, span); symbol and
/// stack ids are the head's. `ingester` is the owner recorded in `meta.json`.
public enum BlockWriter {
    public static func write(
        _ head: borrowing HeadState, tenant: String, ulid: ULID, directory: String, codec: PageCodec,
        ingester: String? = nil
    ) throws -> BlockMeta {
        let (temporary, final) = try temporaryDirectory(directory, ulid)

        let order = head.series.indices.filter { head.series[$0].profileCount > 0 }.sorted { head.series[$0].labels < head.series[$1].labels }
        var files: [BlockMeta.File] = []
        var stats = BlockMeta.Stats(
            series: order.count, profiles: 0, samples: 0, stacks: head.symbols.stacks.count,
            locations: head.symbols.locations.count, functions: head.symbols.functions.count,
            strings: head.symbols.strings.count)
        var minTime = Int64.max
        var maxTime = Int64.min

        // profiles.kcol first: it fixes each series' profile rows for the index.
        var firstProfile: [UInt64] = []
        var profileCount: [UInt64] = []
        var seriesMin: [UInt64] = []
        var seriesMax: [UInt64] = []
        let withSpans = order.contains { head.series[$0].spanIDs.contains { $0 != 0 } }
        files.append(
            try writeFile(temporary, BlockSchema.profilesFile, BlockSchema.profiles(withSpans: withSpans), codec) { w in
                var pSeries: [UInt64] = []
                var pTime: [UInt64] = []
                var pDuration: [UInt64] = []
                var pTotal: [UInt64] = []
                var pFirst: [UInt64] = []
                var pCount: [UInt64] = []
                var pSpan: [UInt64] = []
                var sampleRows = 0
                // Each series' profiles in (time, span) order (arrival order breaks ties), used for both tables.
                let byTime = order.map { headRef in
                    let s = head.series[headRef]
                    return (0..<s.profileCount).sorted { (s.timeNanos[$0], s.spanIDs[$0], $0) < (s.timeNanos[$1], s.spanIDs[$1], $1) }
                }
                for (blockRef, headRef) in order.enumerated() {
                    let s = head.series[headRef]
                    firstProfile.append(UInt64(pSeries.count))
                    profileCount.append(UInt64(byTime[blockRef].count))
                    seriesMin.append(UInt64(bitPattern: s.minTime))
                    seriesMax.append(UInt64(bitPattern: s.maxTime))
                    minTime = min(minTime, s.minTime)
                    maxTime = max(maxTime, s.maxTime)
                    for i in byTime[blockRef] {
                        pSeries.append(UInt64(blockRef))
                        pTime.append(UInt64(bitPattern: s.timeNanos[i]))
                        pDuration.append(UInt64(bitPattern: s.durationNanos[i]))
                        pTotal.append(UInt64(bitPattern: s.totals[i]))
                        pFirst.append(UInt64(sampleRows))
                        pCount.append(UInt64(s.sampleCounts[i]))
                        pSpan.append(s.spanIDs[i])
                        sampleRows += Int(s.sampleCounts[i])
                    }
                }
                try w.append(
                    table: "profiles",
                    columns: [
                        .integers(pSeries), .integers(pTime), .integers(pDuration),
                        .integers(pTotal), .integers(pFirst), .integers(pCount),
                    ]
                        + (withSpans ? [.integers(pSpan)] : []))
                stats.profiles = pSeries.count
                stats.samples = sampleRows
                // Samples in profile order, in row groups of bounded size.
                var stacks: [UInt64] = []
                var values: [UInt64] = []
                for (blockRef, headRef) in order.enumerated() {
                    let s = head.series[headRef]
                    for i in byTime[blockRef] {
                        let start = s.sampleStarts[i]
                        for j in start..<(start + Int(s.sampleCounts[i])) {
                            stacks.append(UInt64(head.sampleStacks[j]))
                            values.append(UInt64(bitPattern: head.sampleValues[j]))
                        }
                        if stacks.count >= BlockSchema.samplesPerRowGroup {
                            try w.append(table: "samples", columns: [.integers(stacks), .integers(values)])
                            stacks.removeAll(keepingCapacity: true)
                            values.removeAll(keepingCapacity: true)
                        }
                    }
                }
                try w.append(table: "samples", columns: [.integers(stacks), .integers(values)])
            })

        files.append(
            try writeFile(temporary, BlockSchema.indexFile, BlockSchema.index, codec) { w in
                let labelSets = order.map { head.series[$0].labels }
                try writeIndex(labelSets, firstProfile: firstProfile, profileCount: profileCount, minTime: seriesMin, maxTime: seriesMax, into: &w)
            })
        files.append(
            try writeFile(temporary, BlockSchema.symbolsFile, BlockSchema.symbols, codec) { w in
                try writeSymbols(head.symbols, into: &w)
            })

        let meta = BlockMeta(
            ulid: ulid.string, version: BlockMeta.currentVersion, tenant: tenant,
            minTimeNanos: minTime == .max ? 0 : minTime, maxTimeNanos: maxTime == .min ? 0 : maxTime,
            level: 1, codec: codec.name, stats: stats, files: files, sources: [], ingester: ingester)
        try finish(meta, temporary: temporary, final: final, directory: directory)
        return meta
    }

    /// Writes `meta.json` last, syncs, and renames the block into place.
    static func finish(_ meta: BlockMeta, temporary: String, final: String, directory: String) throws {
        let metaSink = try FileSink(path: temporary + "/" + BlockSchema.metaFile)
        try metaSink.write(try meta.encoded())
        try metaSink.close()
        try FileIO.syncDirectory(temporary)
        guard rename(temporary, final) == 0 else { throw StorageError.errno("rename to \(final)", path: temporary) }
        try FileIO.syncDirectory(directory)
    }

    /// A fresh `<ulid>.tmp` directory under `directory`.
    static func temporaryDirectory(_ directory: String, _ ulid: ULID) throws -> (temporary: String, final: String) {
        let final = directory + "/" + ulid.string
        let temporary = final + ".tmp"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileIO.makeDirectory(temporary)
        return (temporary, final)
    }

    static func writeFile(
        _ dir: String, _ name: String, _ schemas: [TableSchema], _ codec: PageCodec,
        _ body: (inout ColumnarWriter) throws -> Void
    ) throws -> BlockMeta.File {
        let sink = try FileSink(path: dir + "/" + name)
        var w = try ColumnarWriter(schemas: schemas, codec: codec) { try sink.write($0) }
        try body(&w)
        try w.finish()
        try sink.close()
        return BlockMeta.File(name: name, size: sink.size, crc32c: sink.crc)
    }

    /// index.kcol (docs/format/index.md): label strings, series, their labels, postings.
    static func writeIndex(
        _ sets: [LabelSet], firstProfile: [UInt64], profileCount: [UInt64], minTime: [UInt64], maxTime: [UInt64],
        into w: inout ColumnarWriter
    ) throws {
        var texts = Set<String>()
        for set in sets {
            for l in set.labels {
                texts.insert(l.name)
                texts.insert(l.value)
            }
        }
        let strings = texts.sorted()
        let id = Dictionary(uniqueKeysWithValues: strings.enumerated().map { ($1, UInt64($0)) })
        try w.append(table: "strings", columns: [.bytes(strings.map { Array($0.utf8) })])

        var firstLabel: [UInt64] = []
        var labelCount: [UInt64] = []
        var names: [UInt64] = []
        var values: [UInt64] = []
        var postings: [String: [String: [UInt64]]] = [:]
        for (ref, set) in sets.enumerated() {
            firstLabel.append(UInt64(names.count))
            labelCount.append(UInt64(set.count))
            for l in set.labels {
                names.append(id[l.name]!)
                values.append(id[l.value]!)
                postings[l.name, default: [:]][l.value, default: []].append(UInt64(ref))
            }
        }
        try w.append(
            table: "series",
            columns: [
                .integers(firstLabel), .integers(labelCount), .integers(firstProfile),
                .integers(profileCount), .integers(minTime), .integers(maxTime),
            ])
        try w.append(table: "labels", columns: [.integers(names), .integers(values)])

        var pName: [UInt64] = []
        var pValue: [UInt64] = []
        var pFirst: [UInt64] = []
        var pCount: [UInt64] = []
        var refs: [UInt64] = []
        for name in postings.keys.sorted() {
            for (value, list) in postings[name]!.sorted(by: { $0.key < $1.key }) {
                pName.append(id[name]!)
                pValue.append(id[value]!)
                pFirst.append(UInt64(refs.count))
                pCount.append(UInt64(list.count))
                refs += list
            }
        }
        try w.append(table: "postings", columns: [.integers(pName), .integers(pValue), .integers(pFirst), .integers(pCount)])
        try w.append(table: "postings_series", columns: [.integers(refs)])
    }

    /// symbols.kcol (docs/format/symbols.md).
    static func writeSymbols(_ s: SymbolTable, into w: inout ColumnarWriter) throws {
        try w.append(table: "strings", columns: [.bytes(s.strings.map { Array($0.utf8) })])
        try w.append(
            table: "mappings",
            columns: [
                .integers(s.mappings.map(\.memoryStart)), .integers(s.mappings.map(\.memoryLimit)), .integers(s.mappings.map(\.fileOffset)),
                .integers(s.mappings.map { UInt64($0.filename) }), .integers(s.mappings.map { UInt64($0.buildID) }),
                .integers(s.mappings.map { UInt64($0.flags.rawValue) }),
            ])
        try w.append(
            table: "functions",
            columns: [
                .integers(s.functions.map { UInt64($0.name) }), .integers(s.functions.map { UInt64($0.systemName) }),
                .integers(s.functions.map { UInt64($0.filename) }), .integers(s.functions.map { UInt64(bitPattern: $0.startLine) }),
            ])
        try w.append(
            table: "locations",
            columns: [
                .integers(s.locations.map { $0.mapping == LocationSymbol.noMapping ? 0 : UInt64($0.mapping) + 1 }),
                .integers(s.locations.map(\.address)), .integers(s.locations.map { UInt64($0.lines.count) }),
            ])
        let lines = s.locations.flatMap(\.lines)
        try w.append(table: "lines", columns: [.integers(lines.map { UInt64($0.function) }), .integers(lines.map { UInt64(bitPattern: $0.line) })])
        // Row 0 is the root: parent 0, location 0 (it has none).
        try w.append(
            table: "stacks",
            columns: [
                .integers(s.stacks.parents.map { UInt64($0) }),
                .integers(s.stacks.locations.enumerated().map { $0.offset == 0 ? 0 : UInt64($0.element) }),
            ])
    }
}
