import Dispatch
import Foundation
import KilnCurl
import KilnIngest
import KilnStorage
import Logging
import Metrics
import ServiceLifecycle

/// Pull mode: fetches every target's pprof endpoints of every scrape config
/// on its interval and stores them as pushes are stored (the same
/// conversion, tenant limits and WAL), as Parca's and Phlare's scrapers do.
///
/// One loop per (target, profile): fetch, store, sleep until the next
/// interval starts. A failed fetch (refused, timeout, non-200, not a pprof)
/// is logged and counted, and the loop goes on. Fetches run on libcurl's
/// threads (`HTTPClient.send`), never blocking the concurrency pool. Runs as
/// a service of the application: on SIGTERM the loops stop, and a fetch in
/// flight is aborted when its task is cancelled.
struct Scraper: Service {
    let configs: [ScrapeConfig]
    let push: PushRoutes
    let logger: Logger

    func run() async throws {
        guard !configs.isEmpty else { return }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for c in configs {
                    for t in c.targets {
                        for p in c.profiles { group.addTask { await loop(c, t, p) } }
                    }
                }
            }
        }
    }

    private func loop(_ config: ScrapeConfig, _ target: ScrapeConfig.Target, _ profile: ScrapeConfig.Profile) async {
        let interval = Duration.seconds(config.intervalSeconds)
        while !Task.isCancelled {
            let start = ContinuousClock.now
            await scrapeOnce(config, target, profile)
            try? await Task.sleep(until: start + interval, clock: .continuous)
        }
    }

    /// One fetch and store; errors are logged and counted, never thrown.
    func scrapeOnce(_ config: ScrapeConfig, _ target: ScrapeConfig.Target, _ profile: ScrapeConfig.Profile) async {
        let url = config.url(profile, on: target)
        let started = DispatchTime.now().uptimeNanoseconds
        let timeoutMs = config.effectiveTimeoutSeconds * 1000
        let result: Result<HTTPResponse, any Error>
        do {
            result = .success(try await HTTPClient.send("GET", url, timeoutMs: timeoutMs, connectTimeoutMs: 5000))
        } catch is CancellationError {
            return  // shutting down: nothing fetched, nothing to count
        } catch {
            result = .failure(error)
        }
        Timer(label: "kiln_scrape_duration_seconds", dimensions: [("job", config.jobName), ("profile", profile.name)])
            .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
        do {
            let response = try result.get()
            guard response.status == 200 else {
                throw ScrapeError(reason: "HTTP \(response.status): \(response.text.prefix(200))")
            }
            let now = Date().unixNanoseconds
            let converted = try push.convert(
                labels: config.labels(profile, on: target), rawProfile: response.body, id: "", nowNanos: now,
                tenant: config.tenant)
            try await push.store([converted], tenant: config.tenant)
            Counter(label: "kiln_scrapes_total", dimensions: [("job", config.jobName), ("result", "ok")]).increment()
        } catch {
            Counter(label: "kiln_scrapes_total", dimensions: [("job", config.jobName), ("result", "failed")]).increment()
            logger.warning("scrape failed", metadata: ["job": "\(config.jobName)", "url": "\(url)", "error": "\(error)"])
        }
    }

    struct ScrapeError: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }
}
