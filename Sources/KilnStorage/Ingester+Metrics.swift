import Metrics

extension Ingester {
    /// Gauges of what the process holds, summed over tenants; refreshed by
    /// `recordGauges()` (each maintenance pass and after each cut).
    enum Gauges {
        static let headSeries = Gauge(label: "kiln_head_series")
        static let headProfiles = Gauge(label: "kiln_head_profiles")
        static let headBytes = Gauge(label: "kiln_head_bytes")
        static let tenants = Gauge(label: "kiln_tenants")
        static let blocks = Gauge(label: "kiln_blocks")
        static let blockBytes = Gauge(label: "kiln_block_bytes")
        static let blockSamples = Gauge(label: "kiln_block_samples")
    }

    static let cuts = Counter(label: "kiln_head_cuts_total")
    static let compactions = Counter(label: "kiln_compactions_total")
    static let compactionDuration = Timer(label: "kiln_compaction_duration_seconds")
    static let compactedBlocks = Counter(label: "kiln_compaction_source_blocks_total")
    static let retentionDeletions = Counter(label: "kiln_retention_deleted_blocks_total")

    /// Sets the head and block gauges from the heads.
    public func recordGauges() { heads.recordGauges() }
}

extension TenantHeads {
    /// Sets the head and block gauges from the live heads (series, profiles,
    /// estimated bytes) and the blocks' metadata (count, file bytes, samples).
    /// - Complexity: O(tenants + blocks) under each head's lock in turn.
    func recordGauges() {
        typealias Gauges = Ingester.Gauges
        var series = 0
        var profiles = 0
        var bytes = 0
        var blocks = 0
        var blockBytes = 0
        var blockSamples = 0
        let all = self.all
        for (_, head) in all {
            head.read { h in
                series += h.series.count
                profiles += h.profileCount
                bytes += h.estimatedBytes
            }
            for b in head.blocks {
                blocks += 1
                blockBytes += b.meta.files.reduce(0) { $0 + $1.size }
                blockSamples += b.meta.stats.samples
            }
        }
        Gauges.headSeries.record(series)
        Gauges.headProfiles.record(profiles)
        Gauges.headBytes.record(bytes)
        Gauges.tenants.record(all.count)
        Gauges.blocks.record(blocks)
        Gauges.blockBytes.record(blockBytes)
        Gauges.blockSamples.record(blockSamples)
    }
}
