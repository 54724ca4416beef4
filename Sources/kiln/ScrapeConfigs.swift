import KilnModel
import KilnServer
import Yams

/// The config file's `scrape_configs:` section, Parca's shape (reference
/// parca-api.md §4.6):
///
/// ```yaml
/// scrape_configs:
///   - job_name: checkout
///     scrape_interval: 15s
///     static_configs:
///       - targets: ["127.0.0.1:6060"]
///         labels: {env: prod}
///     profiling_config:
///       pprof_config:
///         block: {enabled: false}
///         fgprof: {path: /debug/fgprof, delta: true}
/// ```
enum ScrapeConfigs {
    typealias Invalid = ConfigFile.Invalid

    /// - Throws: `Invalid` naming the file, the key path and the reason.
    static func parse(_ section: Node?, path: String) throws -> [ScrapeConfig] {
        guard let section else { return [] }
        func fail(_ key: String, _ why: String) -> Invalid { Invalid(description: "config file \(path), key \(key): \(why)") }
        guard case .sequence(let jobs) = section else { throw fail("scrape_configs", "a list of scrape configs") }
        var out: [ScrapeConfig] = []
        for (i, job) in jobs.enumerated() {
            let at = "scrape_configs[\(i)]"
            guard case .mapping(let m) = job else { throw fail(at, "a mapping") }
            let known: Set<String> = ["job_name", "scrape_interval", "scrape_timeout", "scheme", "tenant", "static_configs", "profiling_config"]
            for k in m.keys {
                guard let name = k.string, known.contains(name) else {
                    throw fail("\(at).\(k.string ?? "?")", "unknown key (known: \(known.sorted().joined(separator: ", ")))")
                }
            }
            guard let name = m["job_name"]?.string, !name.isEmpty else { throw fail("\(at).job_name", "required") }
            guard !out.contains(where: { $0.jobName == name }) else { throw fail("\(at).job_name", "\"\(name)\" is used twice") }
            var c = ScrapeConfig(jobName: name)
            func seconds(_ key: String) throws -> Int? {
                guard let text = m[key]?.string else { return nil }
                do {
                    let nanos = try FlagValue.duration(text, flag: key)
                    guard nanos >= 1_000_000_000 else { throw fail("\(at).\(key)", "at least 1s") }
                    return Int(nanos / 1_000_000_000)
                } catch let e as Invalid { throw e } catch { throw fail("\(at).\(key)", "\"\(text)\" is not a duration such as 10s or 1m") }
            }
            c.intervalSeconds = try seconds("scrape_interval") ?? c.intervalSeconds
            c.timeoutSeconds = try seconds("scrape_timeout")
            if let scheme = m["scheme"]?.string {
                guard ["http", "https"].contains(scheme) else { throw fail("\(at).scheme", "http or https") }
                c.scheme = scheme
            }
            if let tenant = m["tenant"]?.string { c.tenant = tenant }
            if let statics = m["static_configs"] {
                guard case .sequence(let groups) = statics else { throw fail("\(at).static_configs", "a list") }
                for (j, g) in groups.enumerated() {
                    let gat = "\(at).static_configs[\(j)]"
                    guard case .mapping(let gm) = g, case .sequence(let targets)? = gm["targets"] else {
                        throw fail("\(gat).targets", "a list of host:port")
                    }
                    var labels: [Label] = []
                    if let l = gm["labels"] {
                        guard case .mapping(let lm) = l else { throw fail("\(gat).labels", "a mapping of label names to values") }
                        for (k, v) in lm {
                            guard let n = k.string, let v = v.string else { throw fail("\(gat).labels", "plain names and values") }
                            labels.append(Label(n, v))
                        }
                    }
                    for t in targets {
                        guard let address = t.string, address.contains(":"), !address.contains("/") else {
                            throw fail("\(gat).targets", "\"\(t.string ?? "?")\" is not host:port")
                        }
                        c.targets.append(.init(address: address, labels: labels))
                    }
                }
            }
            if case .mapping(let pc)? = m["profiling_config"] {
                if let prefix = pc["path_prefix"]?.string { c.pathPrefix = prefix }
                if case .mapping(let profiles)? = pc["pprof_config"] {
                    for (k, v) in profiles {
                        guard let pname = k.string, case .mapping(let pm) = v else {
                            throw fail("\(at).profiling_config.pprof_config", "a mapping of profile names to settings")
                        }
                        let pat = "\(at).profiling_config.pprof_config.\(pname)"
                        let existing = c.profiles.firstIndex { $0.name == pname }
                        if pm["enabled"]?.string == "false" {
                            if let existing { c.profiles.remove(at: existing) }
                            continue
                        }
                        var p = existing.map { c.profiles[$0] } ?? ScrapeConfig.Profile(name: pname, path: "")
                        if let path = pm["path"]?.string { p.path = path }
                        if let d = pm["delta"]?.string { p.delta = d == "true" }
                        if let s = pm["seconds"]?.string {
                            guard let n = Int(s), n > 0 else { throw fail("\(pat).seconds", "a positive number of seconds") }
                            p.seconds = n
                        }
                        guard p.path.hasPrefix("/") else {
                            throw fail("\(pat).path", "required for a profile Kiln has no default for, and must start with /")
                        }
                        if let existing { c.profiles[existing] = p } else { c.profiles.append(p) }
                    }
                }
            }
            for p in c.profiles where p.delta && (p.seconds ?? c.intervalSeconds) >= c.effectiveTimeoutSeconds {
                throw fail(
                    "\(at).scrape_timeout",
                    "\(c.effectiveTimeoutSeconds)s must be longer than the \(p.seconds ?? c.intervalSeconds)s window of \(p.name)")
            }
            out.append(c)
        }
        return out
    }
}
