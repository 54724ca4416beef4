/// What a pprof mapping says its symbols carry (pprof's `has_*` booleans),
/// as one byte: the form the WAL, the block's `flags` column and the internal
/// head API store (docs/format/symbols.md).
public struct MappingFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let hasFunctions = MappingFlags(rawValue: 1)
    public static let hasFilenames = MappingFlags(rawValue: 2)
    public static let hasLineNumbers = MappingFlags(rawValue: 4)
    public static let hasInlineFrames = MappingFlags(rawValue: 8)

    /// pprof's four booleans.
    public init(hasFunctions: Bool, hasFilenames: Bool, hasLineNumbers: Bool, hasInlineFrames: Bool) {
        var flags: MappingFlags = []
        if hasFunctions { flags.insert(.hasFunctions) }
        if hasFilenames { flags.insert(.hasFilenames) }
        if hasLineNumbers { flags.insert(.hasLineNumbers) }
        if hasInlineFrames { flags.insert(.hasInlineFrames) }
        self = flags
    }
}
