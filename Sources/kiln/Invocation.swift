import ArgumentParser
import KilnServer

/// A command line (Go's flag syntax or ArgumentParser's, `FlagSyntax`) and
/// the config file it names, read into settings and mapped onto Kiln's
/// flags (`FlagResolver`, Pyroscope's flags and keys included): the file
/// first, so the command line overrides it.
struct Invocation {
    let file: ConfigFile?
    let resolution: FlagResolver.Resolution

    /// Kiln's flags, from its full help text.
    static let resolver = FlagResolver(catalog: FlagCatalog(help: Kiln.helpMessage(includeHidden: true, columns: 10_000)))

    /// - Throws: `ConfigFile.Invalid` for a file that cannot be read, or a
    ///   bad `overrides` or `scrape_configs` section; `FlagResolver.Refused`
    ///   for a flag or key Kiln refuses.
    init(_ arguments: [String], resolver: FlagResolver = Self.resolver) throws {
        let (commandLine, positional) = FlagSyntax.settings(arguments, takesValue: resolver.takesValue)
        // The file and whether to expand it come first, from the command line alone (as in Pyroscope).
        var file: ConfigFile?
        if let path = commandLine.last(where: { $0.name == ConfigFile.flag })?.value {
            let expand = try commandLine.last { $0.name == ConfigFile.expandFlag }.map(resolver.switchValue) ?? false
            file = try ConfigFile(path: path, expandEnvironment: expand)
        }
        resolution = try resolver.resolve((file?.settings ?? []) + commandLine, positional: positional)
        // Checked before parsing, so a bad section is reported even with --help.
        _ = try LimitOverrides.parse(file?.sections["overrides"], defaults: Limits(), path: file?.path ?? "")
        _ = try ScrapeConfigs.parse(file?.sections["scrape_configs"], path: file?.path ?? "")
        self.file = file
    }

    /// The daemon these settings describe, validated, with the warnings to log.
    /// - Throws: ArgumentParser's errors (`CleanExit` for `--help`), for `Kiln.exit(withError:)`.
    func command() throws -> Kiln {
        guard var command = try Kiln.parseAsRoot(resolution.arguments) as? Kiln else { throw CleanExit.helpRequest() }
        command.warnings = resolution.warnings
        return command
    }

    /// The config file key whose flag an ArgumentParser message names.
    func fileKey(naming message: String) -> String? {
        resolution.fileFlags.last { f in [" ", ":", "'"].contains { message.contains(f.flag + $0) } }?.key
    }
}
