import Testing

@testable import kiln

/// Go's flag syntax, as Pyroscope operators write it, read beside ArgumentParser's.
@Suite struct FlagSyntaxTests {
    static let catalog = FlagCatalog(switches: ["auth.multitenancy-enabled", "storage.s3.insecure"], options: ["storage.s3.bucket", "target"])
    static let resolver = FlagResolver(catalog: catalog)

    static func settings(_ arguments: [String]) -> [FlagSetting] {
        FlagSyntax.settings(arguments, takesValue: resolver.takesValue).settings
    }

    @Test func oneOrTwoDashesWithOrWithoutEquals() {
        for form in [["-target=querier"], ["--target=querier"], ["-target", "querier"], ["--target", "querier"]] {
            #expect(Self.settings(form) == [FlagSetting(name: "target", value: "querier", origin: .commandLine)], "\(form)")
        }
        // An alias takes a value when its Kiln flag does.
        #expect(
            Self.settings(["-storage.s3.bucket-name", "profiles"]) == [
                FlagSetting(name: "storage.s3.bucket-name", value: "profiles", origin: .commandLine)
            ])
        #expect(FlagSyntax.flag("-") == nil && FlagSyntax.flag("---x") == nil && FlagSyntax.flag("value") == nil && FlagSyntax.flag("-5") == nil)
        #expect(FlagSyntax.flag("-a=b=c")?.name == "a" && FlagSyntax.flag("-a=b=c")?.value == "b=c")
    }

    /// A switch never takes the next argument: `-x false` leaves "false" positional, as in Go.
    @Test func switchesTakeNoNextArgument() {
        let (settings, positional) = FlagSyntax.settings(
            ["-auth.multitenancy-enabled", "false", "--", "-target"], takesValue: Self.resolver.takesValue)
        #expect(settings == [FlagSetting(name: "auth.multitenancy-enabled", value: nil, origin: .commandLine)])
        #expect(positional == ["false", "-target"])
    }

    @Test func goBooleans() {
        for t in ["1", "t", "T", "true", "TRUE", "True"] { #expect(FlagSyntax.bool(t) == true) }
        for f in ["0", "f", "F", "false", "FALSE", "False"] { #expect(FlagSyntax.bool(f) == false) }
        for bad in ["yes", "on", "", "tRuE"] { #expect(FlagSyntax.bool(bad) == nil) }
    }

    /// Switches resolve to their last setting, written once; options keep their order (the last wins in ArgumentParser).
    @Test func theLastSettingWins() throws {
        let file = FlagSetting.Origin.file(path: "k.yaml", key: "auth.multitenancy_enabled")
        let r = try Self.resolver.resolve([
            FlagSetting(name: "auth.multitenancy-enabled", value: "true", origin: file),
            FlagSetting(name: "target", value: "ingester", origin: .commandLine),
            FlagSetting(name: "auth.multitenancy-enabled", value: "false", origin: .commandLine),
            FlagSetting(name: "storage.s3.insecure", value: nil, origin: .commandLine),
            FlagSetting(name: "target", value: "all", origin: .commandLine),
        ])
        #expect(r.arguments == ["--target", "ingester", "--target", "all", "--storage.s3.insecure"])
        #expect(r.fileFlags.map(\.key) == ["auth.multitenancy_enabled"] && r.fileFlags.map(\.flag) == ["--auth.multitenancy-enabled"])
        #expect(throws: FlagResolver.Refused.self) {
            try Self.resolver.resolve([FlagSetting(name: "storage.s3.insecure", value: "yes", origin: .commandLine)])
        }
    }

    /// Pyroscope's flags: aliases, conversions, warnings and refusals.
    @Test func pyroscopeFlagsAreMappedIgnoredOrRefused() throws {
        let r = try Self.resolver.resolve([
            FlagSetting(name: "storage.s3.bucket-name", value: "profiles", origin: .commandLine),
            FlagSetting(name: "tracing.enabled", value: "false", origin: .commandLine),
            FlagSetting(name: "storage.s3.signature-version", value: "v4", origin: .commandLine),
            FlagSetting(name: "limits.reject_older_than", value: "1h", origin: .file(path: "p.yaml", key: "limits.reject_older_than")),
        ])
        #expect(r.arguments == ["--storage.s3.bucket", "profiles"])
        #expect(
            r.warnings.count == 2 && r.warnings[0].contains("-tracing.enabled")
                && r.warnings[1].contains("config file p.yaml, key limits.reject_older_than"))
        let refused = #expect(throws: FlagResolver.Refused.self) {
            try Self.resolver.resolve([FlagSetting(name: "storage.s3.signature-version", value: "v2", origin: .commandLine)])
        }
        #expect(refused?.description.contains("SigV4") == true)
        let unknownKey = #expect(throws: FlagResolver.Refused.self) {
            try Self.resolver.resolve([FlagSetting(name: "storage.s3.bukket", value: "x", origin: .file(path: "k.yaml", key: "storage.s3.bukket"))])
        }
        #expect(
            unknownKey?.description == "config file k.yaml: unknown key storage.s3.bukket (there is no flag --storage.s3.bukket; see kiln --help)")
        // An unknown flag on the command line is ArgumentParser's to report.
        #expect(try Self.resolver.resolve([FlagSetting(name: "bogus", value: "1", origin: .commandLine)]).arguments == ["--bogus", "1"])
        // A value that looks like a flag stays attached.
        #expect(try Self.resolver.resolve([FlagSetting(name: "target", value: "-x", origin: .commandLine)]).arguments == ["--target=-x"])
    }
}
