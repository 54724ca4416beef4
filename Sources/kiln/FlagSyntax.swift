/// Kiln's command line in the syntax of Go's `flag` package, which Pyroscope
/// operators write, as well as ArgumentParser's: `-name` and `--name` are the
/// same flag; `-name=value` and `-name value` set an option; a switch is on
/// when given bare, and `-name=true` / `-name=false` (any value Go's
/// `strconv.ParseBool` takes) set it either way. A switch never takes the
/// next argument as its value, as in Go. `--` ends the flags.
///
/// Reading yields `FlagSetting`s; `FlagResolver` maps them onto Kiln's own
/// flags (Pyroscope's names included) and writes ArgumentParser's syntax.
enum FlagSyntax {
    /// `-h`, `-help`, `--help` and Pyroscope's `-help-all`: ArgumentParser's help.
    static let helpNames: Set<String> = ["h", "help", "help-all"]

    /// The settings of `arguments`, in order. `takesValue` says, for a flag
    /// name as written, whether `-name value` gives it the next argument.
    /// Arguments that are not flags (and all after `--`) are returned as
    /// `positional`, for ArgumentParser to reject.
    static func settings(_ arguments: [String], takesValue: (String) -> Bool) -> (settings: [FlagSetting], positional: [String]) {
        var settings: [FlagSetting] = []
        var positional: [String] = []
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if argument == "--" {
                positional += arguments[i...]
                break
            }
            guard let (name, inline) = flag(argument) else {
                positional.append(argument)
                continue
            }
            if inline == nil, takesValue(name), i < arguments.count {
                settings.append(FlagSetting(name: name, value: arguments[i], origin: .commandLine))
                i += 1
            } else {
                settings.append(FlagSetting(name: name, value: inline, origin: .commandLine))
            }
        }
        return (settings, positional)
    }

    /// `-name`, `--name`, `-name=value`, `--name=value` → (name, value); nil
    /// for anything else (`-`, `---x`, a value).
    static func flag(_ argument: String) -> (name: String, value: String?)? {
        var rest = Substring(argument)
        guard rest.hasPrefix("-") else { return nil }
        rest = rest.dropFirst()
        if rest.hasPrefix("-") { rest = rest.dropFirst() }
        guard let first = rest.first, first.isLetter else { return nil }
        guard let equals = rest.firstIndex(of: "=") else { return (String(rest), nil) }
        return (String(rest[..<equals]), String(rest[rest.index(after: equals)...]))
    }

    /// A switch's value as Go's `strconv.ParseBool` reads it; nil for
    /// anything else.
    static func bool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }
}

/// One flag as given on the command line or by a config file key, before
/// `FlagResolver` maps it onto Kiln's flags.
struct FlagSetting: Equatable {
    /// Without dashes: `storage.s3.bucket-name`.
    var name: String
    /// nil for a bare switch (`-name`), or a flag at the end of the command line.
    var value: String?
    var origin: Origin

    enum Origin: Equatable {
        case commandLine
        /// A config file's path and key path (`storage.s3.bucket_name`).
        case file(path: String, key: String)
    }

    /// How a message names it: `-name` or `config file F, key K`.
    var source: String {
        switch origin {
        case .commandLine: "-\(name)"
        case .file(let path, let key): "config file \(path), key \(key)"
        }
    }
}
