/// Builds a `Profile` from stacks of frame names, the way Pyroscope turns
/// folded, lines, trie and tree uploads into pprof: one mapping (id 1), one
/// function per distinct frame name (name = system name), one location per
/// function.
public struct ProfileBuilder: Sendable {
    private var profile = Profile()
    private var stringIndex: [String: Int64] = ["": 0]
    private var locationIndex: [String: UInt32] = [:]

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
        precondition(values.count == profile.sampleTypes.count, "one value per sample type")
        for frame in stack.reversed() { profile.sampleLocations.append(location(frame)) }
        profile.sampleLocationOffsets.append(UInt32(profile.sampleLocations.count))
        profile.sampleValues.append(contentsOf: values)
        for l in labels { profile.sampleLabels.append(SampleLabel(key: string(l.key), str: string(l.value))) }
        profile.sampleLabelOffsets.append(UInt32(profile.sampleLabels.count))
    }

    private mutating func location(_ name: String) -> UInt32 {
        if let l = locationIndex[name] { return l }
        var fn = Function(id: UInt64(profile.functions.count + 1))
        fn.name = string(name)
        fn.systemName = fn.name
        var loc = Location(id: UInt64(profile.locations.count + 1))
        loc.mappingIndex = 0
        loc.lineStart = UInt32(profile.lines.count)
        loc.lineCount = 1
        profile.lines.append(Line(functionIndex: UInt32(profile.functions.count), line: 0))
        profile.functions.append(fn)
        profile.locations.append(loc)
        let index = UInt32(profile.locations.count - 1)
        locationIndex[name] = index
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
