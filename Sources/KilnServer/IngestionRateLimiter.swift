import Foundation
import Synchronization

/// Per-tenant token buckets over uncompressed pushed bytes
/// (`ingestion_rate_mb`, `ingestion_burst_size_mb`).
///
/// A bucket holds at most the burst and refills at the rate; a push takes
/// its size at once or is refused whole, so a refused push costs its tenant
/// nothing and a push larger than the burst is always refused. O(1) per push
/// under one lock; a bucket that has refilled is the same as none, so such
/// buckets are dropped when the map is swept (every 1 024 pushes): idle
/// tenants cost no memory.
final class IngestionRateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Double
        /// When the bucket will be full again.
        var fullAt: Double
    }

    private let buckets = Mutex<(map: [String: Bucket], pushes: Int)>(([:], 0))
    static let sweepEvery = 1024

    /// Takes `bytes` from `tenant`'s bucket; false (nothing taken) when it holds fewer.
    /// - Parameter now: seconds on a monotonic clock.
    func allow(tenant: String, bytes: Int, limits: Limits, now: Double) -> Bool {
        let rate = limits.ingestionRateBytesPerSecond
        let burst = limits.ingestionBurstBytes
        guard rate > 0 else { return true }
        return buckets.withLock { state in
            var b = state.map[tenant] ?? Bucket(tokens: burst, updated: now, fullAt: now)
            b.tokens = min(burst, b.tokens + max(0, now - b.updated) * rate)
            b.updated = now
            let ok = Double(bytes) <= b.tokens
            if ok { b.tokens -= Double(bytes) }
            b.fullAt = now + (burst - b.tokens) / rate
            state.map[tenant] = b
            state.pushes += 1
            if state.pushes % Self.sweepEvery == 0 {
                state.map = state.map.filter { now < $0.value.fullAt }
            }
            return ok
        }
    }

    /// Gives back what `allow` took for a push refused afterwards (series
    /// limit, WAL failure): a refused push costs its tenant nothing.
    func refund(tenant: String, bytes: Int, limits: Limits) {
        let rate = limits.ingestionRateBytesPerSecond
        let burst = limits.ingestionBurstBytes
        buckets.withLock { state in
            guard var b = state.map[tenant], rate > 0 else { return }
            b.tokens = min(burst, b.tokens + Double(bytes))
            b.fullAt = b.updated + (burst - b.tokens) / rate
            state.map[tenant] = b
        }
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
