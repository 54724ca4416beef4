import KilnFormat
import KilnModel

/// Turns cumulative profiles into deltas, per series (reference
/// pyroscope-api.md §4.4): Go's `alloc_*`, mutex and block profiles count
/// from process start, and a flame graph over a time range must show what
/// happened in that range, not since start.
///
/// Per series it keeps the last cumulative value of every stack (by
/// `StackKeys`). A profile then stores, per stack, its value minus the
/// baseline's. The first profile of a series only sets the baseline and
/// stores nothing, as does a profile in which some stack's value went down
/// (the process restarted: a reset). Stacks missing from a profile keep
/// their baseline.
///
/// The state is a value: the ingester keeps one per tenant under the head's
/// lock and logs what each push changed as a `CumulativeRecord`, so replay
/// rebuilds it exactly. Memory: ~40 B per (series, stack) in the dictionary.
public struct CumulativeBaselines: Sendable, Equatable {
    public struct Baseline: Sendable, Equatable {
        public var values: [UInt64: Int64]
        /// Time of the last profile seen (Unix ns).
        public var timeNanos: Int64
    }

    /// Baselines by series key (`LabelSet.fingerprint` of the series labels).
    public private(set) var series: [UInt64: Baseline] = [:]

    /// How long a series may go without a profile before its baseline is
    /// dropped at the next checkpoint: 1 h, a hundred times an agent's
    /// 10–15 s upload interval. A series seen again after that starts over
    /// (its first profile is a baseline again).
    public static let staleAfterNanos: Int64 = 3_600_000_000_000

    public init() {}

    public var isEmpty: Bool { series.isEmpty }

    /// Rewrites the values of `ingest`'s cumulative targets into deltas, in
    /// place (targets of one sample type own disjoint samples, so each value
    /// is rewritten at most once), and returns the changes to log.
    /// - Complexity: O(samples of cumulative targets × log) plus hashing the stacks once.
    public mutating func toDeltas(_ ingest: inout IngestProfile) -> [CumulativeRecord.Series] {
        guard ingest.series.contains(where: \.cumulative) else { return [] }
        let keys = StackKeys.of(ingest.profile)
        let nTypes = ingest.profile.sampleTypes.count
        var changes: [CumulativeRecord.Series] = []
        var current: [(key: UInt64, sample: Int32)] = []
        for target in ingest.series where target.cumulative {
            let t = target.sampleType
            current.removeAll(keepingCapacity: true)
            if let samples = target.samples {
                for i in samples { current.append((keys[Int(i)], i)) }
            } else {
                for i in 0..<ingest.profile.sampleCount { current.append((keys[i], Int32(i))) }
            }
            current.sort { ($0.key, $0.sample) < ($1.key, $1.sample) }
            // Sum samples sharing a stack (pprof may repeat one with other labels).
            var stacks: [UInt64] = []
            var totals: [Int64] = []
            var firstSample: [Int32] = []
            for (k, i) in current {
                let v = max(ingest.profile.sampleValues[Int(i) * nTypes + t], 0)
                ingest.profile.sampleValues[Int(i) * nTypes + t] = 0
                if stacks.last == k {
                    totals[totals.count - 1] &+= v
                } else {
                    stacks.append(k)
                    totals.append(v)
                    firstSample.append(i)
                }
            }
            let key = target.labels.fingerprint
            let time = ingest.timeNanos
            guard var base = series[key],
                !zip(stacks, totals).contains(where: { k, v in v < base.values[k, default: 0] })
            else {
                // First profile of the series, or a reset: it becomes the baseline, nothing is stored.
                let kept = zip(stacks, totals).filter { $0.1 > 0 }
                series[key] = Baseline(values: Dictionary(uniqueKeysWithValues: kept), timeNanos: time)
                changes.append(.init(key: key, timeNanos: time, replace: true, stacks: kept.map(\.0), values: kept.map(\.1)))
                continue
            }
            var changed = CumulativeRecord.Series(key: key, timeNanos: time, replace: false, stacks: [], values: [])
            for j in stacks.indices {
                let delta = totals[j] - base.values[stacks[j], default: 0]
                guard delta > 0 else { continue }
                ingest.profile.sampleValues[Int(firstSample[j]) * nTypes + t] = delta
                base.values[stacks[j]] = totals[j]
                changed.stacks.append(stacks[j])
                changed.values.append(totals[j])
            }
            base.timeNanos = time
            series[key] = base
            changes.append(changed)
        }
        return changes
    }

    /// Applies a logged record (replay).
    public mutating func apply(_ record: CumulativeRecord) {
        if record.snapshot { series.removeAll() }
        for s in record.series {
            if s.replace || series[s.key] == nil {
                series[s.key] = Baseline(values: Dictionary(uniqueKeysWithValues: zip(s.stacks, s.values)), timeNanos: s.timeNanos)
            } else {
                for (k, v) in zip(s.stacks, s.values) { series[s.key]!.values[k] = v }
                series[s.key]!.timeNanos = s.timeNanos
            }
        }
    }

    /// Drops baselines not updated since `staleAfterNanos` before `nowNanos`
    /// and returns the rest as a snapshot record, or nil when none is left.
    /// Deterministic: series and stacks ascending.
    public mutating func snapshot(tenant: String, nowNanos: Int64) -> CumulativeRecord? {
        series = series.filter { nowNanos - $0.value.timeNanos <= Self.staleAfterNanos }
        guard !series.isEmpty else { return nil }
        let out = series.keys.sorted().map { key -> CumulativeRecord.Series in
            let b = series[key]!
            let stacks = b.values.keys.sorted()
            return .init(key: key, timeNanos: b.timeNanos, replace: true, stacks: stacks, values: stacks.map { b.values[$0]! })
        }
        return CumulativeRecord(tenant: tenant, snapshot: true, series: out)
    }
}
