import KilnModel

/// The parameters of a heatmap query (`SelectHeatmap`, shared/reference/pyroscope-api.md §2.10).
public struct HeatmapQuery: Sendable {
    /// What one value of the heatmap is: the total of one pushed profile, or
    /// of one span's samples within a slot.
    public enum Unit: Sendable { case profile, span }

    public var profileType: ProfileTypeID
    public var selector: LabelSelector
    public var startMs: Int64
    public var endMs: Int64
    /// Slot width in milliseconds (≥ 1).
    public var stepMs: Int64
    public var groupBy: [String]
    public var unit: Unit
    /// Keep only the top N series by the sum of their values; nil or ≤ 0 keeps all.
    public var limit: Int?

    /// Value buckets of the y axis: 20 equal ranges from the smallest value
    /// to the largest of the answer, shared by every slot and series, so the
    /// colours of one heatmap compare (a panel is a few hundred pixels high:
    /// finer buckets would not show).
    public static let buckets = 20

    public init(
        profileType: ProfileTypeID, selector: LabelSelector, startMs: Int64, endMs: Int64, stepMs: Int64,
        groupBy: [String] = [], unit: Unit = .profile, limit: Int? = nil
    ) {
        self.profileType = profileType
        self.selector = selector
        self.startMs = startMs
        self.endMs = endMs
        self.stepMs = stepMs
        self.groupBy = groupBy
        self.unit = unit
        self.limit = limit
    }
}

/// One series of a heatmap: per slot, how many values fell in each bucket.
public struct Heatmap: Sendable, Equatable {
    public struct Slot: Sendable, Equatable {
        /// Unix milliseconds, the slot's right edge: it covers `(t − step, t]`.
        public var timestampMs: Int64
        /// Lower bound of each non-empty bucket, ascending.
        public var yMin: [Double]
        /// Values in each of those buckets.
        public var counts: [Int32]
        /// The largest value of the slot, with its span (0: none), for an exemplar.
        public var top: (value: Int64, span: UInt64)

        public init(timestampMs: Int64, yMin: [Double], counts: [Int32], top: (value: Int64, span: UInt64)) {
            self.timestampMs = timestampMs
            self.yMin = yMin
            self.counts = counts
            self.top = top
        }

        public static func == (a: Slot, b: Slot) -> Bool {
            a.timestampMs == b.timestampMs && a.yMin == b.yMin && a.counts == b.counts && a.top == b.top
        }
    }

    public var labels: LabelSet
    public var slots: [Slot]
}

extension Query {
    /// The distribution of profile (or span) totals over time: per group of
    /// series (`groupBy`) and slot, a histogram of the values.
    ///
    /// A pushed profile stored as several profiles, one per span, counts as
    /// one value (`.profile`); with `.span`, each span's samples within a
    /// slot and group are one value, and samples without a span are left out.
    /// Reads the profile tables only, never a sample page.
    /// - Precondition: as `selectSeries` (step ≥ 1 ms, times within ±1e15 ms).
    /// - Complexity: O(profiles in range) plus a sort of the values per slot.
    public func selectHeatmap(_ q: HeatmapQuery) async throws -> [Heatmap] {
        precondition(q.stepMs >= 1, "step must be at least 1 ms")
        let range = TimeRange.exactMilliseconds(q.startMs - q.stepMs + 1, q.endMs)
        let groupBy = Set(q.groupBy)
        struct ValueKey: Hashable {
            var edge: Int64
            /// The span (`.span`), or the pushed profile: source, series and time.
            var span: UInt64
            var source: Int, ref: UInt32, time: Int64
        }
        var groups: [LabelSet: [ValueKey: Int64]] = [:]
        var source = 0
        let typed = Self.typed(q.selector, q.profileType)
        try await forEachSource(HeadRequest(selector: typed, range: range, detail: .profiles)) { s in
            defer { source += 1 }
            for ref in s.select(typed) where s.hasProfiles(ref, in: range.closed) {
                let labels = s.labels(of: ref).projected(onto: groupBy)
                var values = groups[labels] ?? [:]
                s.forEachProfile(of: ref, in: range) { time, total, span in
                    if q.unit == .span && span == 0 { return }
                    guard let edge = Self.bucketEdge(timeNanos: time, startMs: q.startMs, endMs: q.endMs, stepMs: q.stepMs) else { return }
                    let key =
                        q.unit == .span
                        ? ValueKey(edge: edge, span: span, source: 0, ref: 0, time: 0)
                        : ValueKey(edge: edge, span: 0, source: source, ref: ref, time: time)
                    values[key, default: 0] += total
                }
                if !values.isEmpty { groups[labels] = values }
            }
        }
        let all = groups.values.flatMap(\.values)
        guard let lo = all.min(), let hi = all.max() else { return [] }
        let width = Double(hi - lo) / Double(HeatmapQuery.buckets)
        func bucket(_ v: Int64) -> Int { width == 0 ? 0 : min(Int(Double(v - lo) / width), HeatmapQuery.buckets - 1) }

        var out: [(heatmap: Heatmap, total: Int64)] = groups.map { labels, values in
            var bySlot: [Int64: [(value: Int64, span: UInt64)]] = [:]
            for (key, v) in values { bySlot[key.edge, default: []].append((v, key.span)) }
            let slots = bySlot.keys.sorted().map { edge in
                let vs = bySlot[edge]!
                var counts = [Int32](repeating: 0, count: HeatmapQuery.buckets)
                for v in vs { counts[bucket(v.value)] += 1 }
                let used = counts.indices.filter { counts[$0] > 0 }
                let top = vs.max { ($0.value, $1.span) < ($1.value, $0.span) }!
                return Heatmap.Slot(
                    timestampMs: edge, yMin: used.map { Double(lo) + Double($0) * width },
                    counts: used.map { counts[$0] }, top: top)
            }
            return (Heatmap(labels: labels, slots: slots), values.values.reduce(0, +))
        }
        out.sort { $0.total != $1.total ? $0.total > $1.total : $0.heatmap.labels < $1.heatmap.labels }
        if let limit = q.limit, limit > 0, out.count > limit { out.removeSubrange(limit...) }
        return out.map(\.heatmap)
    }
}
