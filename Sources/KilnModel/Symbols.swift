/// The symbol entities of a tenant's profiles, deduplicated by the head and
/// referenced by dense `UInt32` ids (their index in the head's tables).
/// String fields hold string ids.

public struct FunctionSymbol: Hashable, Sendable {
    public var name: UInt32
    public var systemName: UInt32
    public var filename: UInt32
    public var startLine: Int64

    public init(name: UInt32, systemName: UInt32, filename: UInt32, startLine: Int64) {
        self.name = name
        self.systemName = systemName
        self.filename = filename
        self.startLine = startLine
    }
}

public struct MappingSymbol: Hashable, Sendable {
    public var memoryStart: UInt64
    public var memoryLimit: UInt64
    public var fileOffset: UInt64
    public var filename: UInt32
    public var buildID: UInt32
    public var flags: MappingFlags

    public init(memoryStart: UInt64, memoryLimit: UInt64, fileOffset: UInt64, filename: UInt32, buildID: UInt32, flags: MappingFlags) {
        self.memoryStart = memoryStart
        self.memoryLimit = memoryLimit
        self.fileOffset = fileOffset
        self.filename = filename
        self.buildID = buildID
        self.flags = flags
    }
}

public struct LineSymbol: Hashable, Sendable {
    public var function: UInt32
    public var line: Int64

    public init(function: UInt32, line: Int64) {
        self.function = function
        self.line = line
    }
}

public struct LocationSymbol: Hashable, Sendable {
    /// Marks a location with no mapping.
    public static let noMapping = UInt32.max

    /// Mapping id, or `LocationSymbol.noMapping`.
    public var mapping: UInt32
    public var address: UInt64
    /// Inlined callees first, the caller last (pprof order).
    public var lines: [LineSymbol]

    public init(mapping: UInt32, address: UInt64, lines: [LineSymbol]) {
        self.mapping = mapping
        self.address = address
        self.lines = lines
    }
}
