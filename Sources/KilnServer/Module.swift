import Foundation

/// The parts of Kiln a process can run, by Pyroscope's component names
/// (`--target`, `--modules`); docs/ARCHITECTURE.md maps them onto the code.
public enum Module: String, Sendable, CaseIterable, Comparable {
    /// Validation, limits, relabelling, cumulative → delta: the push APIs
    /// and the scraper. It hands profiles to the ingester in the same
    /// process (there is no remote push path), so it runs with it.
    case distributor
    /// WAL, heads, cuts into blocks, shipping to the bucket, and the
    /// internal head API its queriers ask.
    case ingester
    /// Compaction and retention of the ingester's blocks (those it wrote and
    /// those of the bucket it listed at start). It works on the ingester's
    /// list of blocks, so it runs with it.
    case compactor
    /// Every query API: blocks read from the bucket, heads asked of the
    /// ingesters of `--querier.ingesters` (the store-gateway's reading of
    /// blocks is done by the querier itself).
    case querier

    public static let all = Set(allCases)

    public static func < (a: Module, b: Module) -> Bool { a.rawValue < b.rawValue }

    /// What each `--target` runs; the modules not listed here run only as part of one.
    public static let targets: [(name: String, modules: Set<Module>, help: String)] = [
        ("all", all, "every module in one process (the default)"),
        (
            "ingester", [.distributor, .ingester, .compactor],
            "accepts pushes and scrapes, keeps the WAL and heads, ships blocks to the bucket, answers queriers' head requests"
        ),
        ("querier", [.querier], "serves every query API from the bucket's blocks and the heads of --querier.ingesters"),
    ]

    /// The modules of a comma-separated list of targets.
    /// - Throws: `TargetError` naming an unknown target, or a module that cannot run alone.
    public static func parseTarget(_ text: String) throws(TargetError) -> Set<Module> {
        var out = Set<Module>()
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let t = targets.first(where: { $0.name == name }) {
                out.formUnion(t.modules)
            } else if let m = Module(rawValue: name) {
                throw TargetError(
                    target: name, reason: "the \(m.rawValue) runs as part of --target=ingester (it works on the ingester's data in the same process)")
            } else {
                throw TargetError(target: name, reason: "unknown; want one of \(targets.map(\.name).joined(separator: ", ")) (see --modules)")
            }
        }
        guard !out.isEmpty else { throw TargetError(target: text, reason: "no target named") }
        return out
    }

    /// The `--modules` listing: every module, the targets marked with `*`.
    public static var listing: String {
        var lines = ["Targets (--target=NAME, or several: ingester,querier):"]
        for t in targets {
            lines.append(
                "  \(t.name.padding(toLength: 12, withPad: " ", startingAt: 0)) * \(t.help); modules: \(t.modules.sorted().map(\.rawValue).joined(separator: ", "))"
            )
        }
        lines.append("Modules:")
        let help: [Module: String] = [
            .distributor: "validation, limits, relabelling, cumulative to delta; push APIs, scraping (runs with the ingester)",
            .ingester: "WAL, heads, cuts, shipping to the bucket, the internal head API",
            .compactor: "compaction and retention of the ingester's blocks (runs with the ingester)",
            .querier: "every query API: bucket blocks plus the ingesters' heads",
        ]
        for m in allCases { lines.append("  \(m.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))   \(help[m]!)") }
        return lines.joined(separator: "\n")
    }
}

/// A `--target` that does not name something a process can run.
public struct TargetError: Error, Sendable, CustomStringConvertible {
    public let target: String
    public let reason: String
    public var description: String { "--target: \"\(target)\": \(reason)" }
}
