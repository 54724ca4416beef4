import KilnFormat
import KilnIngest
import KilnModel
import KilnPprof

extension HeadState {
    /// Appends the profiles of one push and returns what changed, as the WAL
    /// records it: the symbols, stack nodes and series the push introduced and
    /// the profiles it stored. Replaying that record with `apply(_:)` onto the
    /// state as it was before reproduces the state after, ids included.
    ///
    /// Each profile's symbols are interned once, then each target series
    /// receives the samples of its sample type (and of its sample-label
    /// group), merged by stack and sorted by stack id, as one stored profile
    /// per span when samples carry span ids. Only positive
    /// values are kept: zeros carry nothing, and negative values (diff
    /// profiles) would break the flame-graph invariant that a child lies within
    /// its parent. A series left with no sample is created (ids stay dense) but
    /// stores no profile, so queries, which look at profiles, do not see it.
    ///
    /// - Complexity: O(samples × (stack depth + series)), one hash lookup per stack frame.
    @discardableResult
    public mutating func append(_ profiles: [IngestProfile], tenant: String) -> IngestRecord {
        let before = Counts(self)
        var entries: [IngestRecord.ProfileEntry] = []
        for p in profiles { append(p, into: &entries) }
        return delta(since: before, tenant: tenant, profiles: entries)
    }

    /// Appends one profile (see `append(_:tenant:)`).
    public mutating func append(_ ingest: IngestProfile) {
        var entries: [IngestRecord.ProfileEntry] = []
        append(ingest, into: &entries)
    }

    private mutating func append(_ ingest: IngestProfile, into entries: inout [IngestRecord.ProfileEntry]) {
        let p = ingest.profile
        let sampleStacks = symbols.internStacks(of: p)
        let nTypes = p.sampleTypes.count
        let spans = ingest.sampleSpans
        var keys: [(span: UInt64, stackAndSample: UInt64)] = []
        keys.reserveCapacity(p.sampleCount)
        for target in ingest.series {
            let ref = seriesRef(labels: target.labels, profileType: target.profileType)
            // Sort (span, stack, sample) keys so samples sharing a span and a
            // stack are adjacent, then merge them: one stored profile per
            // span, each sorted by stack id.
            keys.removeAll(keepingCapacity: true)
            func consider(_ i: Int) {
                guard p.sampleValues[i * nTypes + target.sampleType] > 0 else { return }
                keys.append((spans.isEmpty ? 0 : spans[i], UInt64(sampleStacks[i]) << 32 | UInt64(i)))
            }
            if let samples = target.samples {
                for i in samples { consider(Int(i)) }
            } else {
                for i in 0..<p.sampleCount { consider(i) }
            }
            if spans.isEmpty {
                keys.sort { $0.stackAndSample < $1.stackAndSample }
            } else {
                keys.sort { ($0.span, $0.stackAndSample) < ($1.span, $1.stackAndSample) }
            }
            var at = 0
            while at < keys.count {
                let span = keys[at].span
                var stacks: [UInt32] = []
                var values: [Int64] = []
                while at < keys.count, keys[at].span == span {
                    let key = keys[at].stackAndSample
                    let stack = UInt32(truncatingIfNeeded: key >> 32)
                    let v = p.sampleValues[Int(truncatingIfNeeded: key & 0xFFFF_FFFF) * nTypes + target.sampleType]
                    if stacks.last == stack {
                        values[values.count - 1] &+= v
                    } else {
                        stacks.append(stack)
                        values.append(v)
                    }
                    at += 1
                }
                appendProfile(
                    series: ref, timeNanos: ingest.timeNanos, durationNanos: ingest.durationNanos, spanID: span, stacks: stacks, values: values)
                entries.append(
                    .init(
                        seriesRef: ref, timeNanos: ingest.timeNanos, durationNanos: ingest.durationNanos, spanID: span,
                        stacks: stacks, values: values))
            }
        }
    }

    /// Table sizes, to find what an append added.
    struct Counts {
        let strings, mappings, functions, locations, stacks, series: Int
        init(_ h: HeadState) {
            strings = h.symbols.strings.count
            mappings = h.symbols.mappings.count
            functions = h.symbols.functions.count
            locations = h.symbols.locations.count
            stacks = h.symbols.stacks.count
            series = h.series.count
        }
    }

    private func delta(since c: Counts, tenant: String, profiles: [IngestRecord.ProfileEntry]) -> IngestRecord {
        var r = IngestRecord(tenant: tenant)
        r.firstString = UInt32(c.strings)
        r.strings = Array(symbols.strings[c.strings...])
        r.firstMapping = UInt32(c.mappings)
        r.mappings = Array(symbols.mappings[c.mappings...])
        r.firstFunction = UInt32(c.functions)
        r.functions = Array(symbols.functions[c.functions...])
        r.firstLocation = UInt32(c.locations)
        r.locations = Array(symbols.locations[c.locations...])
        r.firstStack = UInt32(c.stacks)
        r.stackParents = Array(symbols.stacks.parents[c.stacks...])
        r.stackLocations = Array(symbols.stacks.locations[c.stacks...])
        r.firstSeries = UInt32(c.series)
        r.series = series[c.series...].map(\.labels)
        r.profiles = profiles
        return r
    }
}
