import KilnArrow
import KilnModel
import KilnPprof

extension ParcaArrowSamples {
    /// The profiles being built, one per series and 10 s window, in first-seen order.
    struct Groups {
        /// A series and window as the record identifies them: per label and
        /// type column the entry its row reads (`Columns.id`), so rows are
        /// grouped without building their strings; strings are read once per group.
        struct Key: Hashable {
            var ids: [Int]
            var period: Int64
            var window: Int64
            var batch: Int
        }

        /// A group's series: its labels and the five type strings (producer first).
        struct Series {
            var labels: [Label]
            var type: [String]
            var period: Int64
        }

        var index: [Key: Int] = [:]
        var builders: [Builder] = []
        var batch = 0

        mutating func add(_ c: Columns, rows: Int) throws(IngestError) {
            defer { batch += 1 }
            var symbols = SymbolCache()
            let typeColumns = [c.producer, c.sampleType, c.sampleUnit, c.periodType, c.periodUnit]
            let keyed = c.labels.map(\.array) + typeColumns
            var ids = [Int](repeating: 0, count: keyed.count)
            for row in 0..<rows {
                for (k, a) in keyed.enumerated() { ids[k] = c.id(a, row) }
                guard let time = c.integer(c.timestamp, row), let value = c.integer(c.value, row) else {
                    throw IngestError(.invalidArgument, "row \(row): timestamp and value may not be null")
                }
                let key = Key(ids: ids, period: c.integer(c.period, row) ?? 0, window: time / profileWindowNanos, batch: batch)
                let b: Int
                if let i = index[key] {
                    b = i
                } else {
                    var labels: [Label] = []
                    for (name, array) in c.labels {
                        if let v = c.text(array, row), !v.isEmpty { labels.append(Label(name, v)) }
                    }
                    let type = typeColumns.map { c.text($0, row) ?? "" }
                    guard !type[0].isEmpty else { throw IngestError(.invalidArgument, "row \(row): producer is empty") }
                    b = builders.count
                    index[key] = b
                    builders.append(
                        Builder(
                            series: Series(labels: labels, type: type, period: key.period), timeNanos: time,
                            durationNanos: c.integer(c.duration, row) ?? 0))
                }
                try builders[b].add(row, value: value, c, symbols: &symbols)
            }
        }

        func converted() -> [DecodedProfile] {
            builders.map { b in
                var labels = b.series.labels
                labels.append(Label(ReservedLabels.name, b.series.type[0]))
                // Parca stores every row as sent and never takes differences; neither does Kiln.
                labels.append(Label(ReservedLabels.delta, "false"))
                if !labels.contains(where: { $0.name == ReservedLabels.serviceName }) {
                    let service = labels.first { $0.name == "job" }?.value ?? labels.first { $0.name == "comm" }?.value
                    labels.append(Label(ReservedLabels.serviceName, service ?? ReservedLabels.unknownService))
                }
                return DecodedProfile(labels: labels, profile: b.profile)
            }
        }
    }

    /// One profile's pprof, its symbols copied from the record on first use.
    struct Builder {
        let series: Groups.Series
        private(set) var profile = Profile()
        private var strings: [String: Int64] = ["": 0]
        /// The profile's location for each row of the record's location array (-1: not yet):
        /// a builder's rows all come from one record batch (`Groups.Key.batch`).
        private var locations: [Int32] = []
        private var functions: [ParcaArrowSamples.FunctionKey: UInt32] = [:]
        private var mappings: [ParcaArrowSamples.MappingKey: UInt32] = [:]

        init(series: Groups.Series, timeNanos: Int64, durationNanos: Int64) {
            self.series = series
            _ = profile.strings.append("")
            profile.sampleTypes = [ValueType(type: string(series.type[1]), unit: string(series.type[2]))]
            profile.defaultSampleType = profile.sampleTypes[0].type
            if !series.type[3].isEmpty || !series.type[4].isEmpty {
                profile.periodType = ValueType(type: string(series.type[3]), unit: string(series.type[4]))
            }
            profile.period = series.period
            profile.timeNanos = timeNanos
            profile.durationNanos = durationNanos
        }

        mutating func string(_ s: String) -> Int64 {
            if let i = strings[s] { return i }
            let i = profile.strings.append(s)
            strings[s] = i
            return i
        }

        mutating func add(_ row: Int, value: Int64, _ c: Columns, symbols: inout SymbolCache) throws(IngestError) {
            let stack = c.stacktrace
            let items = stack.children[0]
            for i in stack.range(row) {
                guard let (location, l) = c.resolve(items, i) else {
                    throw IngestError(.invalidArgument, "row \(row): stacktrace entry \(i) is null")
                }
                if locations.count < location.length { locations += repeatElement(-1, count: location.length - locations.count) }
                if locations[l] >= 0 {
                    profile.sampleLocations.append(UInt32(locations[l]))
                    continue
                }
                let index = UInt32(profile.locations.count)
                profile.locations.append(self.location(symbols.symbols(location, l, c)))
                locations[l] = Int32(index)
                profile.sampleLocations.append(index)
            }
            profile.sampleLocationOffsets.append(UInt32(profile.sampleLocations.count))
            profile.sampleValues.append(value)
            profile.sampleLabelOffsets.append(UInt32(profile.sampleLabels.count))
        }

        private mutating func location(_ symbols: LocationSymbols) -> Location {
            var loc = Location(id: UInt64(profile.locations.count + 1))
            loc.address = symbols.address
            if let m = symbols.mapping { loc.mappingIndex = mapping(m) }
            loc.lineStart = UInt32(profile.lines.count)
            for (number, function) in symbols.lines {
                profile.lines.append(Line(functionIndex: self.function(function), line: number))
            }
            loc.lineCount = UInt32(symbols.lines.count)
            if loc.lineCount > 0, loc.mappingIndex != Location.noMapping {
                profile.mappings[Int(loc.mappingIndex)].hasFunctions = true
            }
            return loc
        }

        private mutating func function(_ key: ParcaArrowSamples.FunctionKey) -> UInt32 {
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

        private mutating func mapping(_ key: ParcaArrowSamples.MappingKey) -> UInt32 {
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
