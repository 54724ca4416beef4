import KilnModel

/// One `scrape_configs` entry, shaped as Parca's and Prometheus's
/// (reference parca-api.md §4.6): a job, its static targets and the pprof
/// endpoints to fetch from each, every `interval`.
public struct ScrapeConfig: Sendable, Equatable {
    /// One profile fetched from each target.
    public struct Profile: Sendable, Equatable {
        /// The profile's name, which becomes `__name__` (`process_cpu`, `memory`…).
        public var name: String
        public var path: String
        /// Ask for a profile of the window (`?seconds=N`): Go's CPU profile.
        public var delta: Bool
        /// The window of a `delta` profile; nil: the scrape interval.
        public var seconds: Int?

        public init(name: String, path: String, delta: Bool = false, seconds: Int? = nil) {
            self.name = name
            self.path = path
            self.delta = delta
            self.seconds = seconds
        }
    }

    public struct Target: Sendable, Equatable {
        /// `host:port`.
        public var address: String
        /// Labels added to every profile from this target.
        public var labels: [Label]

        public init(address: String, labels: [Label] = []) {
            self.address = address
            self.labels = labels
        }
    }

    public var jobName: String
    /// Parca's default: 10 s.
    public var intervalSeconds = 10
    /// How long one fetch may take; nil: the interval plus 3 s, as Parca
    /// (a CPU profile of the whole interval takes the interval to answer).
    public var timeoutSeconds: Int?
    public var scheme = "http"
    public var pathPrefix = ""
    public var targets: [Target] = []
    public var profiles: [Profile] = ScrapeConfig.defaultProfiles
    /// The tenant the profiles are stored for.
    public var tenant = "anonymous"

    public init(jobName: String) { self.jobName = jobName }

    /// Parca's defaults, all enabled: Go's `net/http/pprof` endpoints.
    /// `memory` (allocs), `mutex` and `block` are cumulative: Kiln stores
    /// their deltas (`CumulativeBaselines`); `process_cpu` covers the window.
    public static let defaultProfiles = [
        Profile(name: "process_cpu", path: "/debug/pprof/profile", delta: true),
        Profile(name: "memory", path: "/debug/pprof/allocs"),
        Profile(name: "goroutine", path: "/debug/pprof/goroutine"),
        Profile(name: "mutex", path: "/debug/pprof/mutex"),
        Profile(name: "block", path: "/debug/pprof/block"),
    ]

    public var effectiveTimeoutSeconds: Int { timeoutSeconds ?? intervalSeconds + 3 }

    /// The URL of `profile` on `target`.
    public func url(_ profile: Profile, on target: Target) -> String {
        var url = "\(scheme)://\(target.address)\(pathPrefix)\(profile.path)"
        if profile.delta { url += (url.contains("?") ? "&" : "?") + "seconds=\(profile.seconds ?? intervalSeconds)" }
        return url
    }

    /// The labels of what `profile` on `target` yields: `__name__`, `job`,
    /// `instance`, the target's labels, and `service_name` = the job unless a
    /// label sets it.
    public func labels(_ profile: Profile, on target: Target) -> [Label] {
        var out = [Label(ReservedLabels.name, profile.name), Label("job", jobName), Label("instance", target.address)]
        out += target.labels.filter { l in !out.contains { $0.name == l.name } }
        if !out.contains(where: { $0.name == ReservedLabels.serviceName }) { out.append(Label(ReservedLabels.serviceName, jobName)) }
        return out
    }
}
