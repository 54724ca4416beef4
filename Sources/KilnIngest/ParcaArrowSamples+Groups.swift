import KilnArrow
import KilnModel
import KilnPprof

extension ParcaArrowSamples {
    /// The profiles being built, one per series and second, in first-seen order.
    struct Groups {
        struct Key: Hashable {
            var labels: [Label]
            var type: [String]
            var period: Int64
            var window: Int64
        }

        var index: [Key: Int] = [:]
        var builders: [Builder] = []
        var batch = 0

        mutating func add(_ c: Columns, rows: Int) throws(IngestError) {
            defer { batch += 1 }
            for row in 0..<rows {
                var labels: [Label] = []
                for (name, array) in c.labels {
                    if let v = c.text(array, row), !v.isEmpty { labels.append(Label(name, v)) }
                }
                let producer = c.text(c.producer, row) ?? ""
                guard !producer.isEmpty else { throw IngestError(.invalidArgument, "row \(row): producer is empty") }
                let type = [producer] + [c.sampleType, c.sampleUnit, c.periodType, c.periodUnit].map { c.text($0, row) ?? "" }
                guard let time = c.integer(c.timestamp, row), let value = c.integer(c.value, row) else {
                    throw IngestError(.invalidArgument, "row \(row): timestamp and value may not be null")
                }
                let key = Key(labels: labels, type: type, period: c.integer(c.period, row) ?? 0, window: time / profileWindowNanos)
                let b: Int
                if let i = index[key] {
                    b = i
                } else {
                    b = builders.count
                    index[key] = b
                    builders.append(
                        Builder(key: key, timeNanos: time, durationNanos: c.integer(c.duration, row) ?? 0))
                }
                try builders[b].add(row, value: value, c, batch: batch)
            }
        }

        func converted() -> [Converted] {
            builders.map { b in
                var labels = b.key.labels
                labels.append(Label(ReservedLabels.name, b.key.type[0]))
                // Parca stores every row as sent and never takes differences; neither does Kiln.
                labels.append(Label(ReservedLabels.delta, "false"))
                if !labels.contains(where: { $0.name == ReservedLabels.serviceName }) {
                    let service = labels.first { $0.name == "job" }?.value ?? labels.first { $0.name == "comm" }?.value
                    labels.append(Label(ReservedLabels.serviceName, service ?? ReservedLabels.unknownService))
                }
                return Converted(labels: labels, profile: b.profile)
            }
        }
    }

    /// One profile's pprof, its symbols copied from the record on first use.
    struct Builder {
        struct LocationKey: Hashable {
            var batch: Int
            var row: Int
        }
        struct FunctionKey: Hashable {
            var name: String
            var filename: String
            var startLine: Int64
        }
        struct MappingKey: Hashable {
            var file: String
            var buildID: String
        }

        let key: Groups.Key
        private(set) var profile = Profile()
        private var strings: [String: Int64] = ["": 0]
        private var locations: [LocationKey: UInt32] = [:]
        private var functions: [FunctionKey: UInt32] = [:]
        private var mappings: [MappingKey: UInt32] = [:]

        init(key: Groups.Key, timeNanos: Int64, durationNanos: Int64) {
            self.key = key
            _ = profile.strings.append("")
            profile.sampleTypes = [ValueType(type: string(key.type[1]), unit: string(key.type[2]))]
            profile.defaultSampleType = profile.sampleTypes[0].type
            if !key.type[3].isEmpty || !key.type[4].isEmpty {
                profile.periodType = ValueType(type: string(key.type[3]), unit: string(key.type[4]))
            }
            profile.period = key.period
            profile.timeNanos = timeNanos
            profile.durationNanos = durationNanos
        }

        mutating func string(_ s: String) -> Int64 {
            if let i = strings[s] { return i }
            let i = profile.strings.append(s)
            strings[s] = i
            return i
        }

        mutating func add(_ row: Int, value: Int64, _ c: Columns, batch: Int) throws(IngestError) {
            let stack = c.stacktrace
            let items = stack.children[0]
            for i in stack.range(row) {
                guard let (location, l) = c.resolve(items, i) else {
                    throw IngestError(.invalidArgument, "row \(row): stacktrace entry \(i) is null")
                }
                let key = LocationKey(batch: batch, row: l)
                if let known = locations[key] {
                    profile.sampleLocations.append(known)
                    continue
                }
                let index = UInt32(profile.locations.count)
                profile.locations.append(try self.location(location, l, c))
                locations[key] = index
                profile.sampleLocations.append(index)
            }
            profile.sampleLocationOffsets.append(UInt32(profile.sampleLocations.count))
            profile.sampleValues.append(value)
            profile.sampleLabelOffsets.append(UInt32(profile.sampleLabels.count))
        }

        private mutating func location(_ a: ArrowArray, _ row: Int, _ c: Columns) throws(IngestError) -> Location {
            var loc = Location(id: UInt64(profile.locations.count + 1))
            if let address = a.child("address"), !address.isNull(row) { loc.address = address.uint64(row) }
            let file = a.child("mapping_file").flatMap { c.text($0, row) }
            let buildID = a.child("mapping_build_id").flatMap { c.text($0, row) }
            if file != nil || buildID != nil { loc.mappingIndex = mapping(MappingKey(file: file ?? "", buildID: buildID ?? "")) }
            loc.lineStart = UInt32(profile.lines.count)
            if let lines = a.child("lines") {
                let entries = lines.children.first
                for j in lines.range(row) {
                    guard let entries, let (line, r) = c.resolve(entries, j) else { continue }
                    let number = line.child("line").flatMap { c.integer($0, r) } ?? 0
                    var name = ""
                    var filename = ""
                    var startLine: Int64 = 0
                    if let f = line.child("function"), let (function, fr) = c.resolve(f, r) {
                        name = function.child("system_name").flatMap { c.text($0, fr) } ?? ""
                        filename = function.child("filename").flatMap { c.text($0, fr) } ?? ""
                        startLine = function.child("start_line").flatMap { c.integer($0, fr) } ?? 0
                    }
                    let fi = self.function(FunctionKey(name: name, filename: filename, startLine: startLine))
                    profile.lines.append(Line(functionIndex: fi, line: number))
                }
            }
            loc.lineCount = UInt32(profile.lines.count) - loc.lineStart
            if loc.lineCount > 0, loc.mappingIndex != Location.noMapping {
                profile.mappings[Int(loc.mappingIndex)].hasFunctions = true
            }
            return loc
        }

        private mutating func function(_ key: FunctionKey) -> UInt32 {
            if let i = functions[key] { return i }
            var f = Function(id: UInt64(profile.functions.count + 1))
            // Parca's v2 functions carry only a system name; it is the name shown too.
            f.name = string(key.name)
            f.systemName = f.name
            f.filename = string(key.filename)
            f.startLine = key.startLine
            let i = UInt32(profile.functions.count)
            profile.functions.append(f)
            functions[key] = i
            return i
        }

        private mutating func mapping(_ key: MappingKey) -> UInt32 {
            if let i = mappings[key] { return i }
            var m = Mapping(id: UInt64(profile.mappings.count + 1))
            m.filename = string(key.file)
            m.buildID = string(key.buildID)
            let i = UInt32(profile.mappings.count)
            profile.mappings.append(m)
            mappings[key] = i
            return i
        }
    }
}
