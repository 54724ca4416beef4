import KilnBytes

/// The payload of a cumulative-state record (type 4): the baselines against
/// which cumulative profiles (Go `alloc_*`, mutex, block) are turned into
/// deltas, so the state survives a restart (docs/format/wal.md, "Cumulative
/// payload").
///
/// After an ingest record, it carries what that push changed: per series, the
/// new cumulative value of every stack whose value moved (`replace` false), or
/// the whole new baseline (`replace` true: the series' first profile, or a
/// reset). Right after a checkpoint, one record per tenant with `snapshot`
/// set carries every live baseline, since the segments before it are deleted.
public struct CumulativeRecord: Sendable, Equatable {
    public struct Series: Sendable, Equatable {
        /// `Fingerprint` of the series' labels (which name its profile type).
        public var key: UInt64
        /// Time of the profile that last updated the baseline (Unix ns).
        public var timeNanos: Int64
        /// True: these stacks are the whole baseline; false: they update it.
        public var replace: Bool
        /// Stack content hashes (`StackKeys`), strictly ascending.
        public var stacks: [UInt64]
        /// The cumulative value of each stack, non-negative.
        public var values: [Int64]

        public init(key: UInt64, timeNanos: Int64, replace: Bool, stacks: [UInt64], values: [Int64]) {
            self.key = key
            self.timeNanos = timeNanos
            self.replace = replace
            self.stacks = stacks
            self.values = values
        }
    }

    public var tenant: String
    /// True: the tenant's whole state (baselines not listed are dropped).
    public var snapshot: Bool
    public var series: [Series]

    public init(tenant: String, snapshot: Bool, series: [Series]) {
        self.tenant = tenant
        self.snapshot = snapshot
        self.series = series
    }

    static let snapshotFlag: UInt8 = 1
    static let replaceFlag: UInt8 = 1

    public func encode(into w: inout ByteWriter) {
        w.string(tenant)
        w.uint8(snapshot ? Self.snapshotFlag : 0)
        w.uvarint(series.count)
        for s in series {
            w.uint64LE(s.key)
            w.varint(s.timeNanos)
            w.uint8(s.replace ? Self.replaceFlag : 0)
            w.uvarint(s.stacks.count)
            // Stacks ascend: deltas of the hashes are smaller than the hashes
            // only by chance, so they are stored whole; values are varints.
            for k in s.stacks { w.uint64LE(k) }
            for v in s.values { w.varint(v) }
        }
    }

    public static func decode(_ r: inout ByteReader) throws(DecodeError) -> CumulativeRecord {
        let tenant = try r.string()
        let flags = try r.uint8()
        guard flags & ~snapshotFlag == 0 else { throw r.error("unknown cumulative record flags \(flags)") }
        let n = try r.count(minBytesEach: 8 + 1 + 1 + 1)
        var series: [Series] = []
        series.reserveCapacity(n)
        for _ in 0..<n {
            let key = try r.uint64LE()
            let time = try r.varint()
            let seriesFlags = try r.uint8()
            guard seriesFlags & ~replaceFlag == 0 else { throw r.error("unknown cumulative series flags \(seriesFlags)") }
            let count = try r.count(minBytesEach: 8 + 1)
            var stacks: [UInt64] = []
            stacks.reserveCapacity(count)
            for _ in 0..<count {
                let at = r.offset
                let k = try r.uint64LE()
                if let last = stacks.last, k <= last {
                    throw DecodeError(offset: r.baseOffset + at, reason: "stack keys of series \(key) not ascending")
                }
                stacks.append(k)
            }
            var values: [Int64] = []
            values.reserveCapacity(count)
            for _ in 0..<count {
                let at = r.offset
                let v = try r.varint()
                guard v >= 0 else { throw DecodeError(offset: r.baseOffset + at, reason: "negative cumulative value \(v)") }
                values.append(v)
            }
            series.append(Series(key: key, timeNanos: time, replace: seriesFlags == replaceFlag, stacks: stacks, values: values))
        }
        guard r.atEnd else { throw r.error("\(r.remaining) unexpected bytes after the cumulative record") }
        return CumulativeRecord(tenant: tenant, snapshot: flags == snapshotFlag, series: series)
    }
}
