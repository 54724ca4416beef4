/// A decoded pprof `Profile` (google.v1 / perftools.profiles), stored flat.
///
/// Layout: instead of one heap object per sample, location and line, the
/// repeated parts are concatenated into a few arrays indexed by offsets, and
/// strings are byte ranges in one buffer (`StringTable`). Cross references are
/// resolved at decode time: samples point at location *indices*, lines at
/// function *indices*, locations at mapping *indices*; the original pprof ids
/// are kept on the entities so the profile can be re-encoded.
///
/// Invariants (checked by `PprofDecoder`, kept by `ProfileBuilder`):
/// - `sampleLocationOffsets.count == sampleCount + 1`, likewise for labels;
/// - `sampleValues.count == sampleCount * sampleTypes.count`;
/// - every index stored in the arrays is in range, every string index is in
///   `strings`, and `strings[0] == ""`.
public struct Profile: Sendable, Equatable {
    public var sampleTypes: [ValueType] = []
    /// Location indices of all samples, each sample's leaf first.
    public var sampleLocations: [UInt32] = []
    /// Start of sample `i`'s locations in `sampleLocations`; one extra trailing entry.
    public var sampleLocationOffsets: [UInt32] = [0]
    /// Sample `i`'s value for type `t` is at `i * sampleTypes.count + t`.
    public var sampleValues: [Int64] = []
    public var sampleLabels: [SampleLabel] = []
    public var sampleLabelOffsets: [UInt32] = [0]
    public var mappings: [Mapping] = []
    public var locations: [Location] = []
    /// Lines of all locations; a location's lines are `lines[lineStart ..< lineStart + lineCount]`.
    public var lines: [Line] = []
    public var functions: [Function] = []
    public var strings = StringTable()
    public var dropFrames: Int64 = 0
    public var keepFrames: Int64 = 0
    public var timeNanos: Int64 = 0
    public var durationNanos: Int64 = 0
    public var periodType: ValueType?
    public var period: Int64 = 0
    public var comments: [Int64] = []
    public var defaultSampleType: Int64 = 0

    public init() {}

    public var sampleCount: Int { sampleLocationOffsets.count - 1 }

    /// The location indices of sample `i`, leaf first.
    @inlinable
    public func locations(ofSample i: Int) -> ArraySlice<UInt32> {
        sampleLocations[Int(sampleLocationOffsets[i])..<Int(sampleLocationOffsets[i + 1])]
    }

    /// The labels of sample `i`.
    public func labels(ofSample i: Int) -> ArraySlice<SampleLabel> {
        sampleLabels[Int(sampleLabelOffsets[i])..<Int(sampleLabelOffsets[i + 1])]
    }

    /// Sample `i`'s value for sample type `t`.
    @inlinable
    public func value(ofSample i: Int, type t: Int) -> Int64 {
        sampleValues[i * sampleTypes.count + t]
    }

    /// The lines of location `i`; the last is the caller, inlined callees come first.
    public func lines(ofLocation i: Int) -> ArraySlice<Line> {
        let l = locations[i]
        return lines[Int(l.lineStart)..<Int(l.lineStart + l.lineCount)]
    }

    /// The sum of every sample's value for type `t`.
    public func total(ofType t: Int) -> Int64 {
        var sum: Int64 = 0
        var i = t
        let stride = sampleTypes.count
        while i < sampleValues.count {
            sum &+= sampleValues[i]
            i += stride
        }
        return sum
    }
}

/// A (type, unit) pair of string indices, as in `sample_type` and `period_type`.
public struct ValueType: Sendable, Equatable, Hashable {
    public var type: Int64
    public var unit: Int64
    public init(type: Int64, unit: Int64) {
        self.type = type
        self.unit = unit
    }
}

/// A pprof sample label: a string (`str`) or numeric (`num`, `numUnit`) value for `key`.
public struct SampleLabel: Sendable, Equatable, Hashable {
    public var key: Int64
    public var str: Int64
    public var num: Int64
    public var numUnit: Int64
    public init(key: Int64, str: Int64 = 0, num: Int64 = 0, numUnit: Int64 = 0) {
        self.key = key
        self.str = str
        self.num = num
        self.numUnit = numUnit
    }
}

public struct Mapping: Sendable, Equatable, Hashable {
    public var id: UInt64
    public var memoryStart: UInt64 = 0
    public var memoryLimit: UInt64 = 0
    public var fileOffset: UInt64 = 0
    public var filename: Int64 = 0
    public var buildID: Int64 = 0
    public var hasFunctions = false
    public var hasFilenames = false
    public var hasLineNumbers = false
    public var hasInlineFrames = false
    public init(id: UInt64) { self.id = id }
}

public struct Location: Sendable, Equatable, Hashable {
    /// Marks a location with no mapping (`mapping_id` 0).
    public static let noMapping = UInt32.max

    public var id: UInt64
    /// Index into `Profile.mappings`, or `Location.noMapping`.
    public var mappingIndex: UInt32 = Location.noMapping
    public var address: UInt64 = 0
    public var lineStart: UInt32 = 0
    public var lineCount: UInt32 = 0
    public var isFolded = false
    public init(id: UInt64) { self.id = id }
}

public struct Line: Sendable, Equatable, Hashable {
    /// Index into `Profile.functions`.
    public var functionIndex: UInt32
    public var line: Int64
    public init(functionIndex: UInt32, line: Int64) {
        self.functionIndex = functionIndex
        self.line = line
    }
}

public struct Function: Sendable, Equatable, Hashable {
    public var id: UInt64
    public var name: Int64 = 0
    public var systemName: Int64 = 0
    public var filename: Int64 = 0
    public var startLine: Int64 = 0
    public init(id: UInt64) { self.id = id }
}
