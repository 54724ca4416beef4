import Foundation
import Yams

/// The YAML config file (`--config.file`), read as flags: every key path
/// names the flag of the same name, with `_` for `-` (`storage.s3.bucket`
/// is `--storage.s3.bucket`, `server.http_listen_port` is
/// `--server.http-listen-port`). File flags come first on the command line,
/// so a flag given on the command line overrides the file.
///
/// Scalars become the flag's value; `true` turns a switch on (`false` leaves
/// it off); a list becomes a comma-separated value (`compactor.ranges: [2h, 12h]`).
///
/// The top-level sections of `structuredKeys` are not flags: they are kept
/// as YAML (`sections`) for their own readers (`LimitOverrides`, `ScrapeConfigs`).
struct ConfigFile {
    let path: String
    /// (key path, flag arguments) in file order.
    let entries: [(key: String, arguments: [String])]
    /// The structured top-level sections present, by key.
    let sections: [String: Node]

    /// Top-level keys read as structures rather than flags.
    static let structuredKeys: Set<String> = ["overrides", "scrape_configs"]

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// The flag that names the config file.
    static let flag = "--config.file"

    init(path: String) throws {
        self.path = path
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Invalid(description: "config file \(path): cannot be read: \(error.localizedDescription)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw Invalid(description: "config file \(path): not valid YAML: \(error)")
        }
        var entries: [(String, [String])] = []
        guard let root else {
            self.entries = []
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
        try Self.flatten(.mapping(Node.Mapping(flags)), prefix: "", path: path, into: &entries)
        self.entries = entries
        self.sections = sections
    }

    private static func flatten(_ node: Node, prefix: String, path: String, into out: inout [(String, [String])]) throws {
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
            let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
            switch s.string {
            case "true": out.append((key, [flag]))
            case "false": out.append((key, []))
            default: out.append((key, [flag, s.string]))
            }
        case .sequence(let items):
            let key = String(prefix.dropLast())
            let values = try items.map { item -> String in
                guard case .scalar(let s) = item else { throw Invalid(description: "config file \(path): key \(key): a list of plain values only") }
                return s.string
            }
            out.append((key, ["--" + key.replacingOccurrences(of: "_", with: "-"), values.joined(separator: ",")]))
        case .alias:
            throw Invalid(description: "config file \(path): key \(prefix.dropLast()): YAML aliases are not supported")
        }
    }

    /// The command line with the file's flags (if `--config.file` names one)
    /// before the given ones, and the file.
    static func expand(_ arguments: [String]) throws -> (arguments: [String], file: ConfigFile?) {
        var rest: [String] = []
        var path: String?
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == flag {
                guard i + 1 < arguments.count else { throw Invalid(description: "\(flag) needs a path") }
                path = arguments[i + 1]
                i += 2
                continue
            }
            if a.hasPrefix(flag + "=") {
                path = String(a.dropFirst(flag.count + 1))
            } else {
                rest.append(a)
            }
            i += 1
        }
        guard let path else { return (arguments, nil) }
        let file = try ConfigFile(path: path)
        // The path stays on the command line: `run` reads the structured sections.
        return (file.entries.flatMap(\.arguments) + [flag, path] + rest, file)
    }

    /// Checks every key against the flags `help` lists (the command's full
    /// help text), so an unknown key is reported as a key of this file.
    func validateKeys(against help: String) throws {
        let tokens = Set(help.split { !($0.isLetter || $0.isNumber || "-._".contains($0)) }.map(String.init))
        for (key, _) in entries {
            let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
            guard tokens.contains(flag) else {
                throw Invalid(description: "config file \(path): unknown key \(key) (there is no flag \(flag); see kiln --help)")
            }
        }
    }
}
