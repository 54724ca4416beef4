import Foundation
import Yams

/// The YAML config file (`--config.file`), read as flag settings: every key
/// path names the flag of the same name, with `-` for `_`
/// (`storage.s3.bucket` is `--storage.s3.bucket`, `server.http_listen_port`
/// is `--server.http-listen-port`); Pyroscope's keys whose flag is named
/// otherwise are mapped by `PyroscopeFlags.fileKeys`. `FlagResolver` puts
/// the file's settings before the command line's, so a flag given on the
/// command line overrides the file.
///
/// Scalars become the flag's value (`true`/`false` for a switch); a list
/// becomes a comma-separated value (`compactor.ranges: [2h, 12h]`). With
/// `-config.expand-env` (Pyroscope's flag), `${VAR}`, `${VAR:-default}` and
/// `$VAR` are replaced by the environment's values before the YAML is read.
///
/// The top-level sections of `structuredKeys` are not flags: they are kept
/// as YAML (`sections`) for their own readers (`LimitOverrides`, `ScrapeConfigs`).
struct ConfigFile {
    let path: String
    /// One setting per key, in file order.
    let settings: [FlagSetting]
    /// The structured top-level sections present, by key.
    let sections: [String: Node]

    /// Top-level keys read as structures rather than flags.
    static let structuredKeys: Set<String> = ["overrides", "scrape_configs"]

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// The flag that names the file, and the one that expands the environment in it.
    static let flag = "config.file"
    static let expandFlag = "config.expand-env"

    init(path: String, expandEnvironment: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.path = path
        var text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Invalid(description: "config file \(path): cannot be read: \(error.localizedDescription)")
        }
        if expandEnvironment { text = Self.expand(text, environment) }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw Invalid(description: "config file \(path): not valid YAML: \(error)")
        }
        var settings: [FlagSetting] = []
        guard let root else {
            self.settings = []
            self.sections = [:]
            return
        }
        guard case .mapping(let top) = root else { throw Invalid(description: "config file \(path): the top level must be a mapping of keys") }
        var sections: [String: Node] = [:]
        var flags: [(Node, Node)] = []
        for (k, v) in top {
            if let name = k.string, Self.structuredKeys.contains(name) {
                sections[name] = v
            } else {
                flags.append((k, v))
            }
        }
        try Self.flatten(.mapping(Node.Mapping(flags)), prefix: "", path: path, into: &settings)
        self.settings = settings
        self.sections = sections
    }

    private static func flatten(_ node: Node, prefix: String, path: String, into out: inout [FlagSetting]) throws {
        switch node {
        case .mapping(let m):
            for (k, v) in m {
                guard let name = k.string, !name.isEmpty, !name.contains(" ") else {
                    throw Invalid(description: "config file \(path): key \(prefix)\(k.string ?? "?") is not a plain name")
                }
                try flatten(v, prefix: prefix + name + ".", path: path, into: &out)
            }
        case .scalar(let s):
            let key = String(prefix.dropLast())
            out.append(FlagSetting(name: PyroscopeFlags.flagName(forKey: key), value: s.string, origin: .file(path: path, key: key)))
        case .sequence(let items):
            let key = String(prefix.dropLast())
            let values = try items.map { item -> String in
                guard case .scalar(let s) = item else { throw Invalid(description: "config file \(path): key \(key): a list of plain values only") }
                return s.string
            }
            out.append(
                FlagSetting(name: PyroscopeFlags.flagName(forKey: key), value: values.joined(separator: ","), origin: .file(path: path, key: key)))
        case .alias:
            throw Invalid(description: "config file \(path): key \(prefix.dropLast()): YAML aliases are not supported")
        }
    }

    /// `${VAR}`, `${VAR:-default}` and `$VAR` replaced by `environment`'s
    /// values (empty when unset), as Pyroscope's `-config.expand-env` does.
    static func expand(_ text: String, _ environment: [String: String]) -> String {
        var out = ""
        var rest = Substring(text)
        func isName(_ c: Character) -> Bool { c == "_" || (c.isASCII && (c.isLetter || c.isNumber)) }
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            if rest.hasPrefix("{"), let close = rest.firstIndex(of: "}") {
                let body = rest[rest.index(after: rest.startIndex)..<close]
                let (name, fallback) = body.range(of: ":-").map { (body[..<$0.lowerBound], String(body[$0.upperBound...])) } ?? (body, nil)
                let value = environment[String(name)].flatMap { $0.isEmpty ? nil : $0 }
                out += value ?? fallback ?? ""
                rest = rest[rest.index(after: close)...]
            } else if let first = rest.first, isName(first), !first.isNumber {
                let name = rest.prefix(while: isName)
                out += environment[String(name)] ?? ""
                rest = rest[name.endIndex...]
            } else {
                out += "$"
            }
        }
        return out + rest
    }
}
