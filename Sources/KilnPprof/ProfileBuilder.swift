/// Builds a `Profile` from stacks of frame names, the way Pyroscope turns
/// folded, lines, trie and tree uploads (and JFR recordings) into pprof: one
/// mapping (id 1), one function per distinct frame name (name = system
/// name), one location per (function, line) — per function for stacks of
/// names, whose line is 0.
public struct ProfileBuilder: Sendable {
    private var profile = Profile()
    private var stringIndex: [String: Int64] = ["": 0]
    private var functionIndex: [String: UInt32] = [:]
    private var locationIndex: [LocationKey: UInt32] = [:]

    private struct LocationKey: Hashable {
        var function: UInt32
        var line: Int64
    }

    /// - Parameters:
    ///   - sampleTypes: (type, unit) of each value a sample carries.
    ///   - periodType: (type, unit) of the sampling period, if any.
    public init(sampleTypes: [(type: String, unit: String)], periodType: (type: String, unit: String)? = nil, period: Int64 = 0) {
        profile.strings.append("")
        var m = Mapping(id: 1)
        m.hasFunctions = true
        profile.mappings.append(m)
        for t in sampleTypes {
            let vt = ValueType(type: string(t.type), unit: string(t.unit))
            profile.sampleTypes.append(vt)
        }
        if let pt = periodType {
            profile.periodType = ValueType(type: string(pt.type), unit: string(pt.unit))
        }
        profile.period = period
    }

    /// Interns a string and returns its index in the string table.
    public mutating func string(_ s: String) -> Int64 {
        if let i = stringIndex[s] { return i }
        let i = profile.strings.append(s)
        stringIndex[s] = i
        return i
    }

    /// Adds a sample.
    /// - Parameters:
    ///   - stack: frame names, root first (as in folded stacks).
    ///   - values: one per sample type.
    ///   - labels: string labels of the sample.
    /// - Precondition: `values.count` equals the number of sample types.
    public mutating func addSample(stack: [String], values: [Int64], labels: [(key: String, value: String)] = []) {
        addSample(locations: stack.reversed().map { location($0) }, values: values, labels: labels)
    }

    /// Adds a sample of locations made by `location(_:line:)`, leaf first.
    /// - Returns: the sample's index, for `addValues(_:toSample:)`.
    /// - Precondition: `values.count` equals the number of sample types.
    @discardableResult
    public mutating func addSample(locations: [UInt32], values: [Int64], labels: [(key: String, value: String)] = []) -> Int {
        precondition(values.count == profile.sampleTypes.count, "one value per sample type")
        profile.sampleLocations += locations
        profile.sampleLocationOffsets.append(UInt32(profile.sampleLocations.count))
        profile.sampleValues.append(contentsOf: values)
        for l in labels { profile.sampleLabels.append(SampleLabel(key: string(l.key), str: string(l.value))) }
        profile.sampleLabelOffsets.append(UInt32(profile.sampleLabels.count))
        return profile.sampleCount - 1
    }

    /// Adds `values` to those of sample `i` (wrapping: totals are checked downstream).
    public mutating func addValues(_ values: [Int64], toSample i: Int) {
        let n = profile.sampleTypes.count
        for t in 0..<n { profile.sampleValues[i * n + t] &+= values[t] }
    }

    /// The location of function `name` at `line`, made on first use.
    public mutating func location(_ name: String, line: Int64 = 0) -> UInt32 {
        let function: UInt32
        if let f = functionIndex[name] {
            function = f
        } else {
            var fn = Function(id: UInt64(profile.functions.count + 1))
            fn.name = string(name)
            fn.systemName = fn.name
            function = UInt32(profile.functions.count)
            profile.functions.append(fn)
            functionIndex[name] = function
        }
        let key = LocationKey(function: function, line: line)
        if let l = locationIndex[key] { return l }
        var loc = Location(id: UInt64(profile.locations.count + 1))
        loc.mappingIndex = 0
        loc.lineStart = UInt32(profile.lines.count)
        loc.lineCount = 1
        profile.lines.append(Line(functionIndex: function, line: line))
        profile.locations.append(loc)
        let index = UInt32(profile.locations.count - 1)
        locationIndex[key] = index
        return index
    }

    /// The finished profile.
    public func build(timeNanos: Int64 = 0, durationNanos: Int64 = 0) -> Profile {
        var p = profile
        p.timeNanos = timeNanos
        p.durationNanos = durationNanos
        return p
    }
}
