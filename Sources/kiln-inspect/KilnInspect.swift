import ArgumentParser

/// Kiln's inspector for its on-disk data: one command per question.
@main
struct KilnInspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kiln-inspect",
        abstract: "Inspect, verify and repair Kiln's on-disk data.",
        subcommands: [WALCommand.self, BlockCommand.self]
    )
}

struct WALCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wal",
        abstract: "The write-ahead log (a directory such as ./data/wal).",
        subcommands: [WALList.self, WALDump.self, WALVerify.self, WALRepairCommand.self]
    )
}
