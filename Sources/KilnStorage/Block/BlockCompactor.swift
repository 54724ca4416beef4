import KilnFormat
import KilnHead
import KilnModel

/// Merges a tenant's blocks into one (docs/format/block.md), in memory
/// bounded by the symbols and one page per source, never by the samples:
///
/// - symbols of every source are interned into one table, with a remap of
///   string, mapping, function, location and stack ids per source;
/// - series are the union of the sources' label sets, in label-set order, the
///   order every source already has, so each source is read front to back;
/// - each series' profiles are merged by time; profiles with the same time
///   and the same samples (after remapping) are kept once — what replicas or
///   a repeated push produce;
/// - samples stream out in row groups; the small per-profile table is written last.
///
/// The result is cold (zstd) at level max(sources) + 1, lists its sources,
/// and is owned by `ingester`, the compacting one (the owner of every source).
public enum BlockCompactor {
    public static func compact(
        _ sources: [Block], tenant: String, ulid: ULID, directory: String,
        codec: PageCodec = .zstd, ingester: String? = nil
    ) throws -> BlockMeta {
        let (temporary, final) = try BlockWriter.temporaryDirectory(directory, ulid)

        // Symbols.
        var table = SymbolTable()
        var stackMaps: [[UInt32]] = []
        for b in sources {
            let s = b.symbols
            // Every symbol, in id order, unused ones too: the compacted block
            // keeps what its sources held.
            var remap = SymbolRemap(s)
            for id in s.strings.indices { _ = remap.string(UInt32(id), into: &table) }
            for id in s.mappings.indices { _ = remap.mapping(UInt32(id), into: &table) }
            for id in s.functions.indices { _ = remap.function(UInt32(id), into: &table) }
            for id in s.locations.indices { _ = remap.location(UInt32(id), into: &table) }
            var stacks = [UInt32](repeating: StackTree.root, count: s.stackCount)
            for id in 1..<max(s.stackCount, 1) {
                let location = remap.location(s.stackLocations[id], into: &table)
                stacks[id] = table.stacks.child(of: stacks[Int(s.stackParents[id])], location: location)
            }
            stackMaps.append(stacks)
        }

        // Series: the union of label sets, sorted; each with its (source, ref) pairs.
        var members: [LabelSet: [(source: Int, ref: UInt32)]] = [:]
        for (i, b) in sources.enumerated() {
            for ref in 0..<UInt32(b.seriesCount) { members[b.labels[Int(ref)], default: []].append((i, ref)) }
        }
        let series = members.keys.sorted()

        var files: [BlockMeta.File] = []
        var cursors = sources.map { Block.SampleCursor($0) }
        var firstProfile: [UInt64] = []
        var profileCount: [UInt64] = []
        var seriesMin: [UInt64] = []
        var seriesMax: [UInt64] = []
        var stats = BlockMeta.Stats(
            series: 0, profiles: 0, samples: 0, stacks: table.stacks.count,
            locations: table.locations.count, functions: table.functions.count, strings: table.strings.count)
        var minTime = Int64.max
        var maxTime = Int64.min
        let withSpans = sources.contains(where: \.hasSpans)
        files.append(
            try BlockWriter.writeFile(temporary, BlockSchema.profilesFile, BlockSchema.profiles(withSpans: withSpans), codec) { w in
                var pSeries: [UInt64] = []
                var pTime: [UInt64] = []
                var pDuration: [UInt64] = []
                var pTotal: [UInt64] = []
                var pFirst: [UInt64] = []
                var pCount: [UInt64] = []
                var pSpan: [UInt64] = []
                var stacks: [UInt64] = []
                var values: [UInt64] = []
                var written = 0
                for (ref, labels) in series.enumerated() {
                    var entries: [(time: Int64, span: UInt64, source: Int, row: Int)] = []
                    for m in members[labels]! {
                        let b = sources[m.source]
                        for row in b.profileRows(of: m.ref) { entries.append((b.profileTimeNanos(row), b.profileSpanID(row), m.source, row)) }
                    }
                    entries.sort { ($0.time, $0.span, $0.source, $0.row) < ($1.time, $1.span, $1.source, $1.row) }
                    let before = pSeries.count
                    var i = 0
                    while i < entries.count {
                        var j = i
                        var kept: [[(UInt64, UInt64)]] = []
                        while j < entries.count && entries[j].time == entries[i].time && entries[j].span == entries[i].span {
                            let e = entries[j]
                            var samples = try cursors[e.source].samples(ofProfile: e.row).map {
                                (UInt64(stackMaps[e.source][Int($0.stack)]), $0.value)
                            }
                            samples.sort { $0.0 < $1.0 }
                            if !kept.contains(where: { $0.elementsEqual(samples, by: ==) }) {
                                kept.append(samples)
                                pSeries.append(UInt64(ref))
                                pTime.append(UInt64(bitPattern: e.time))
                                pDuration.append(UInt64(bitPattern: sources[e.source].profileDurationNanos(e.row)))
                                pTotal.append(samples.reduce(0) { $0 &+ $1.1 })
                                pFirst.append(UInt64(written))
                                pCount.append(UInt64(samples.count))
                                pSpan.append(e.span)
                                for (s, v) in samples {
                                    stacks.append(s)
                                    values.append(v)
                                }
                                written += samples.count
                                if stacks.count >= BlockSchema.samplesPerRowGroup {
                                    try w.append(table: "samples", columns: [.integers(stacks), .integers(values)])
                                    stacks.removeAll(keepingCapacity: true)
                                    values.removeAll(keepingCapacity: true)
                                }
                            }
                            j += 1
                        }
                        i = j
                    }
                    firstProfile.append(UInt64(before))
                    profileCount.append(UInt64(pSeries.count - before))
                    seriesMin.append(UInt64(bitPattern: entries.first!.time))
                    seriesMax.append(UInt64(bitPattern: entries.last!.time))
                    minTime = min(minTime, entries.first!.time)
                    maxTime = max(maxTime, entries.last!.time)
                }
                try w.append(table: "samples", columns: [.integers(stacks), .integers(values)])
                try w.append(
                    table: "profiles",
                    columns: [
                        .integers(pSeries), .integers(pTime), .integers(pDuration),
                        .integers(pTotal), .integers(pFirst), .integers(pCount),
                    ]
                        + (withSpans ? [.integers(pSpan)] : []))
                stats.series = series.count
                stats.profiles = pSeries.count
                stats.samples = written
            })
        files.append(
            try BlockWriter.writeFile(temporary, BlockSchema.indexFile, BlockSchema.index, codec) { w in
                try BlockWriter.writeIndex(
                    series, firstProfile: firstProfile, profileCount: profileCount, minTime: seriesMin, maxTime: seriesMax, into: &w)
            })
        files.append(
            try BlockWriter.writeFile(temporary, BlockSchema.symbolsFile, BlockSchema.symbols, codec) { w in
                try BlockWriter.writeSymbols(table, into: &w)
            })
        let meta = BlockMeta(
            ulid: ulid.string, version: BlockMeta.currentVersion, tenant: tenant,
            minTimeNanos: minTime == .max ? 0 : minTime, maxTimeNanos: maxTime == .min ? 0 : maxTime,
            level: (sources.map(\.meta.level).max() ?? 0) + 1, codec: codec.name, stats: stats, files: files,
            sources: sources.map(\.ulid), ingester: ingester)
        try BlockWriter.finish(meta, temporary: temporary, final: final, directory: directory)
        return meta
    }
}
