/// Maps flag settings (command line and config file) onto Kiln's own flags
/// and writes them in ArgumentParser's syntax: a Kiln flag stays as it is,
/// a Pyroscope flag becomes its Kiln equivalent (`PyroscopeFlags`), is
/// ignored with a warning naming it, or is refused with the reason.
///
/// Settings apply in order, so the command line (after the file) wins: an
/// option given twice keeps its last value (ArgumentParser's rule), and a
/// switch is written once, on or off as its last setting says.
struct FlagResolver {
    let catalog: FlagCatalog

    struct Resolution {
        /// For `Kiln.parseAsRoot`.
        var arguments: [String]
        /// One line per ignored Pyroscope flag or key, for the log.
        var warnings: [String]
        /// The Kiln flag each config file key set, for errors about its value.
        var fileFlags: [(key: String, flag: String)]
    }

    /// A flag or key Kiln cannot honour, or a switch with a value that is not a boolean.
    struct Refused: Error, CustomStringConvertible {
        let description: String
    }

    /// Whether `-name value` gives the flag `name` (as written) the next argument.
    func takesValue(_ name: String) -> Bool {
        if catalog.switches.contains(name) { return false }
        if catalog.options.contains(name) { return true }
        switch PyroscopeFlags.table[name] {
        case .alias(let kiln): return !catalog.switches.contains(kiln)
        case .converted(_, let takesValue, _), .ignored(let takesValue, _), .refused(let takesValue, _): return takesValue
        case nil: return true
        }
    }

    /// - Throws: `Refused` for a refused Pyroscope flag, a switch whose value
    ///   is not a boolean, or an unknown config file key (an unknown flag on
    ///   the command line is left for ArgumentParser to report).
    func resolve(_ settings: [FlagSetting], positional: [String] = []) throws -> Resolution {
        var arguments: [String] = []
        var warnings: [String] = []
        var fileFlags: [(String, String)] = []
        var switches: [(name: String, on: Bool)] = []
        for setting in settings {
            if FlagSyntax.helpNames.contains(setting.name), setting.origin == .commandLine {
                arguments.append("--help")
                continue
            }
            guard let (name, value) = try kilnFlag(for: setting, warnings: &warnings) else { continue }
            if case .file(_, let key) = setting.origin { fileFlags.append((key, "--" + name)) }
            if catalog.switches.contains(name) {
                let on = try switchValue(FlagSetting(name: name, value: value, origin: setting.origin))
                switches.removeAll { $0.name == name }
                switches.append((name, on))
            } else if let value {
                // `--name=` reads as a missing value, `--name -x` as two flags: each has the form ArgumentParser reads as given.
                arguments += value.hasPrefix("-") ? ["--\(name)=\(value)"] : ["--\(name)", value]
            } else {
                arguments.append("--\(name)")  // ArgumentParser: "Missing value for '--name <name>'"
            }
        }
        arguments += switches.filter(\.on).map { "--\($0.name)" }
        return Resolution(arguments: arguments + positional, warnings: warnings, fileFlags: fileFlags)
    }

    /// A switch's setting: on when bare, else its value as Go reads booleans.
    /// - Throws: `Refused` for a value that is not a boolean.
    func switchValue(_ setting: FlagSetting) throws -> Bool {
        guard let value = setting.value else { return true }
        guard let on = FlagSyntax.bool(value) else {
            throw Refused(description: "\(setting.source): a switch, want true or false (or 1, 0, t, f), got \"\(value)\"")
        }
        return on
    }

    /// The Kiln flag and value a setting stands for; nil when it sets nothing.
    private func kilnFlag(for setting: FlagSetting, warnings: inout [String]) throws -> (String, String?)? {
        if catalog.contains(setting.name) { return (setting.name, setting.value) }
        switch PyroscopeFlags.table[setting.name] ?? PyroscopeFlags.prefixEntry(setting.name) {
        case .alias(let kiln):
            return (kiln, setting.value)
        case .converted(let kiln, _, let convert):
            do {
                return try convert(setting.value ?? "true").map { (kiln, $0) }
            } catch let refused as PyroscopeFlags.Refusal {
                throw Refused(description: "\(setting.source): \(refused.reason)")
            }
        case .ignored(_, let because):
            warnings.append("ignoring \(setting.source) (a Pyroscope setting): \(because)")
            return nil
        case .refused(_, let because):
            throw Refused(description: "\(setting.source) (a Pyroscope setting) is not supported: \(because)")
        case nil:
            if case .file(let path, let key) = setting.origin {
                throw Refused(description: "config file \(path): unknown key \(key) (there is no flag --\(setting.name); see kiln --help)")
            }
            return (setting.name, setting.value)
        }
    }
}

/// Kiln's flags as its command declares them, read from the full help
/// text: each line `  --name <value>` is an option, `  --name` a switch.
struct FlagCatalog {
    let switches: Set<String>
    let options: Set<String>

    init(switches: Set<String>, options: Set<String>) {
        (self.switches, self.options) = (switches, options)
    }

    /// `help`: the command's help with hidden flags, one flag per line
    /// (`helpMessage(includeHidden: true, columns: 10_000)`).
    init(help: String) {
        var switches: Set<String> = []
        var options: Set<String> = []
        for line in help.split(separator: "\n") {
            let words = line.split(separator: " ", maxSplits: 2)
            guard line.hasPrefix("  --"), let first = words.first else { continue }
            let name = String(first.dropFirst(2))
            if words.count > 1, words[1].hasPrefix("<") { options.insert(name) } else { switches.insert(name) }
        }
        switches.remove("help")
        self.init(switches: switches, options: options)
    }

    func contains(_ name: String) -> Bool { switches.contains(name) || options.contains(name) }
}
