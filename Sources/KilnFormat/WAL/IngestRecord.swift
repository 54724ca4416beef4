import KilnBytes
import KilnModel

/// The payload of an ingest record: what one accepted push added to one
/// tenant's head (docs/format/wal.md, "Ingest payload"). New symbols and
/// series take the next dense ids, starting at the `first…` fields.
public struct IngestRecord: Sendable, Equatable {
    /// One stored profile: samples merged by stack, zeros removed. The
    /// samples of one pushed profile that carry a span id are stored as one
    /// entry per span, each with its `spanID`.
    public struct ProfileEntry: Sendable, Equatable {
        public var seriesRef: UInt32
        public var timeNanos: Int64
        public var durationNanos: Int64
        /// The span every sample of the entry belongs to (`SpanID`); 0: none.
        public var spanID: UInt64
        public var stacks: [UInt32]
        public var values: [Int64]

        public init(seriesRef: UInt32, timeNanos: Int64, durationNanos: Int64, spanID: UInt64 = 0, stacks: [UInt32], values: [Int64]) {
            self.seriesRef = seriesRef
            self.timeNanos = timeNanos
            self.durationNanos = durationNanos
            self.spanID = spanID
            self.stacks = stacks
            self.values = values
        }
    }

    public var tenant: String
    public var firstString: UInt32 = 0
    public var strings: [String] = []
    public var firstMapping: UInt32 = 0
    public var mappings: [MappingSymbol] = []
    public var firstFunction: UInt32 = 0
    public var functions: [FunctionSymbol] = []
    public var firstLocation: UInt32 = 0
    public var locations: [LocationSymbol] = []
    public var firstStack: UInt32 = 0
    /// (parent stack id, location id) of each new stack-tree node.
    public var stackParents: [UInt32] = []
    public var stackLocations: [UInt32] = []
    public var firstSeries: UInt32 = 0
    public var series: [LabelSet] = []
    public var profiles: [ProfileEntry] = []

    public init(tenant: String) { self.tenant = tenant }

    /// Number of samples across all profiles.
    public var sampleCount: Int { profiles.reduce(0) { $0 + $1.stacks.count } }

    /// Whether a profile has a span: the record is then written as type 3
    /// (`ingestWithSpans`), whose profiles carry one; type 1 otherwise, the
    /// layout logs written before spans existed have.
    public var hasSpans: Bool { profiles.contains { $0.spanID != 0 } }

    /// Encodes the payload; profiles carry their span id when `hasSpans`.
    public func encode(into w: inout ByteWriter) {
        let withSpans = hasSpans
        w.string(tenant)
        w.uvarint(firstString)
        w.uvarint(strings.count)
        for s in strings { w.string(s) }
        w.uvarint(firstMapping)
        w.uvarint(mappings.count)
        for m in mappings {
            w.uvarint(m.memoryStart)
            w.uvarint(m.memoryLimit)
            w.uvarint(m.fileOffset)
            w.uvarint(m.filename)
            w.uvarint(m.buildID)
            w.uint8(m.flags.rawValue)
        }
        w.uvarint(firstFunction)
        w.uvarint(functions.count)
        for f in functions {
            w.uvarint(f.name)
            w.uvarint(f.systemName)
            w.uvarint(f.filename)
            w.varint(f.startLine)
        }
        w.uvarint(firstLocation)
        w.uvarint(locations.count)
        for l in locations {
            w.uvarint(l.mapping == LocationSymbol.noMapping ? 0 : UInt64(l.mapping) + 1)
            w.uvarint(l.address)
            w.uvarint(l.lines.count)
            for line in l.lines {
                w.uvarint(line.function)
                w.varint(line.line)
            }
        }
        w.uvarint(firstStack)
        w.uvarint(stackParents.count)
        for i in stackParents.indices {
            w.uvarint(stackParents[i])
            w.uvarint(stackLocations[i])
        }
        w.uvarint(firstSeries)
        w.uvarint(series.count)
        for s in series {
            w.uvarint(s.count)
            for l in s.labels {
                w.string(l.name)
                w.string(l.value)
            }
        }
        w.uvarint(profiles.count)
        for p in profiles {
            w.uvarint(p.seriesRef)
            w.varint(p.timeNanos)
            w.varint(p.durationNanos)
            if withSpans { w.uint64LE(p.spanID) }
            w.uvarint(p.stacks.count)
            var prev: Int64 = 0
            for s in p.stacks {
                w.varint(Int64(s) - prev)
                prev = Int64(s)
            }
            for v in p.values { w.varint(v) }
        }
    }

    /// Decodes a payload; `withSpans` for a type 3 record, whose profiles carry a span id.
    /// - Throws: `DecodeError` with the absolute offset of the first bad byte.
    public static func decode(_ r: inout ByteReader, withSpans: Bool = false) throws(DecodeError) -> IngestRecord {
        var rec = IngestRecord(tenant: try r.string())
        rec.firstString = try r.uvarint32()
        let nStrings = try r.count()
        rec.strings.reserveCapacity(nStrings)
        for _ in 0..<nStrings { rec.strings.append(try r.string()) }

        rec.firstMapping = try r.uvarint32()
        let nMappings = try r.count(minBytesEach: 6)
        for _ in 0..<nMappings {
            rec.mappings.append(
                MappingSymbol(
                    memoryStart: try r.uvarint(), memoryLimit: try r.uvarint(), fileOffset: try r.uvarint(),
                    filename: try r.uvarint32(), buildID: try r.uvarint32(), flags: MappingFlags(rawValue: try r.uint8())))
        }
        rec.firstFunction = try r.uvarint32()
        let nFunctions = try r.count(minBytesEach: 4)
        rec.functions.reserveCapacity(nFunctions)
        for _ in 0..<nFunctions {
            rec.functions.append(
                FunctionSymbol(name: try r.uvarint32(), systemName: try r.uvarint32(), filename: try r.uvarint32(), startLine: try r.varint()))
        }
        rec.firstLocation = try r.uvarint32()
        let nLocations = try r.count(minBytesEach: 3)
        rec.locations.reserveCapacity(nLocations)
        for _ in 0..<nLocations {
            let mappingPlusOne = try r.uvarint()
            guard mappingPlusOne <= UInt64(UInt32.max) else { throw r.error("mapping id out of range") }
            let address = try r.uvarint()
            let nLines = try r.count(minBytesEach: 2)
            var lines: [LineSymbol] = []
            lines.reserveCapacity(nLines)
            for _ in 0..<nLines { lines.append(LineSymbol(function: try r.uvarint32(), line: try r.varint())) }
            rec.locations.append(
                LocationSymbol(mapping: mappingPlusOne == 0 ? LocationSymbol.noMapping : UInt32(mappingPlusOne - 1), address: address, lines: lines))
        }
        rec.firstStack = try r.uvarint32()
        let nStacks = try r.count(minBytesEach: 2)
        rec.stackParents.reserveCapacity(nStacks)
        rec.stackLocations.reserveCapacity(nStacks)
        for _ in 0..<nStacks {
            rec.stackParents.append(try r.uvarint32())
            rec.stackLocations.append(try r.uvarint32())
        }
        rec.firstSeries = try r.uvarint32()
        let nSeries = try r.count()
        for _ in 0..<nSeries {
            let nLabels = try r.count(minBytesEach: 2)
            var labels: [Label] = []
            labels.reserveCapacity(nLabels)
            for _ in 0..<nLabels {
                let at = r.offset
                let l = Label(try r.string(), try r.string())
                if let last = labels.last, !(last.name < l.name) {
                    throw DecodeError(offset: r.baseOffset + at, reason: "series labels are not sorted by name")
                }
                labels.append(l)
            }
            rec.series.append(LabelSet(sortedUnique: labels))
        }
        let nProfiles = try r.count(minBytesEach: 4)
        rec.profiles.reserveCapacity(nProfiles)
        for _ in 0..<nProfiles {
            let ref = try r.uvarint32()
            let time = try r.varint()
            let duration = try r.varint()
            let span = withSpans ? try r.uint64LE() : 0
            let n = try r.count(minBytesEach: 2)
            var stacks = [UInt32](repeating: 0, count: n)
            var values = [Int64](repeating: 0, count: n)
            var prev: Int64 = 0
            for i in 0..<n {
                let (s, overflow) = prev.addingReportingOverflow(try r.varint())
                guard !overflow, s >= 0, s <= Int64(UInt32.max) else { throw r.error("stack id out of range") }
                stacks[i] = UInt32(s)
                prev = s
            }
            for i in 0..<n { values[i] = try r.varint() }
            rec.profiles.append(ProfileEntry(seriesRef: ref, timeNanos: time, durationNanos: duration, spanID: span, stacks: stacks, values: values))
        }
        guard r.atEnd else { throw r.error("\(r.remaining) unexpected bytes after the record") }
        return rec
    }
}
