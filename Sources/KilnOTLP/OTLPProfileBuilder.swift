import Foundation
import KilnIngest
import KilnModel
import KilnPprof
import KilnProto

extension OTLPProfiles {
    /// Builds one pprof `Profile` from OTLP samples: strings, functions,
    /// mappings and locations are copied from the dictionary on first use, so
    /// the profile holds only what its samples reach.
    ///
    /// Invariant: `functionIndex[i]`, `mappingIndex[i]`, `locationIndex[i]`
    /// are -1 or the index in `profile` of dictionary entry `i`.
    struct ProfileBuilder {
        private(set) var profile = Profile()
        private let dictionary: Dictionary
        private var strings: [String: Int64] = ["": 0]
        private var functionIndex: [Int32]
        private var mappingIndex: [Int32]
        private var locationIndex: [Int32]
        /// Each attribute's label (key and value string indices in `profile`), converted on first use; key -1: not yet.
        private var attributeLabels: [SampleLabel]

        init(
            sampleType: (String, String), periodType: (String, String)?, period: Int64, timeNanos: Int64, durationNanos: Int64,
            dictionary: Dictionary
        ) {
            self.dictionary = dictionary
            functionIndex = Array(repeating: -1, count: dictionary.table.functionTable.count)
            mappingIndex = Array(repeating: -1, count: dictionary.table.mappingTable.count)
            locationIndex = Array(repeating: -1, count: dictionary.table.locationTable.count)
            attributeLabels = Array(repeating: SampleLabel(key: -1), count: dictionary.table.attributeTable.count)
            _ = profile.strings.append("")
            profile.sampleTypes = [ValueType(type: string(sampleType.0), unit: string(sampleType.1))]
            profile.defaultSampleType = profile.sampleTypes[0].type
            if let periodType { profile.periodType = ValueType(type: string(periodType.0), unit: string(periodType.1)) }
            profile.period = period
            profile.timeNanos = timeNanos
            profile.durationNanos = durationNanos
        }

        mutating func string(_ s: String) -> Int64 {
            if let i = strings[s] { return i }
            let i = profile.strings.append(s)
            strings[s] = i
            return i
        }

        /// Appends `sample`: its stack, its one value under `rule`, its attributes (but `service.name`) and link as labels.
        mutating func add(_ sample: ProfileConversion.OTLPSample, rule: ProfileConversion.ValueRule, field: @autoclosure () -> String)
            throws(OTLPError)
        {
            var value: Int64
            if sample.values.isEmpty {
                guard !sample.timestampsUnixNano.isEmpty else { throw OTLPError(field: "\(field()).values", "sample value is required") }
                value = Int64(sample.timestampsUnixNano.count)
            } else {
                value = 0
                for v in sample.values {
                    let (s, overflow) = value.addingReportingOverflow(v)
                    guard !overflow else { throw OTLPError(field: "\(field()).values", "the values sum past 64 bits") }
                    value = s
                }
            }
            if case .countsToNanos(let period) = rule {
                let (p, overflow) = value.multipliedReportingOverflow(by: period)
                guard !overflow else { throw OTLPError(field: "\(field()).values", "\(value) samples × period \(period) is past 64 bits") }
                value = p
            }
            let table = dictionary.table
            let stack = sample.stackIndex
            guard table.stackTable.indices.contains(Int(stack)) else {
                throw dictionary.outOfRange(stack, "stack_table", table.stackTable.count, "\(field()).stack_index")
            }
            let locationIndices = table.stackTable[Int(stack)].locationIndices
            for (n, l) in locationIndices.enumerated() {
                profile.sampleLocations.append(try location(l, "dictionary.stack_table[\(stack)].location_indices[\(n)]"))
            }
            for (n, a) in sample.attributeIndices.enumerated() {
                guard attributeLabels.indices.contains(Int(a)) else {
                    throw dictionary.outOfRange(a, "attribute_table", attributeLabels.count, "\(field()).attribute_indices[\(n)]")
                }
                if attributeLabels[Int(a)].key < 0 {
                    let attribute = try dictionary.attribute(a, "\(field()).attribute_indices[\(n)]")
                    // service.name names the profile; an attribute with no text value is no label (key 0 marks both).
                    if dictionary.isServiceName[Int(a)] || (attribute.value ?? "").isEmpty {
                        attributeLabels[Int(a)] = SampleLabel(key: 0)
                    } else {
                        attributeLabels[Int(a)] = SampleLabel(key: string(attribute.key), str: string(attribute.value!))
                    }
                }
                if attributeLabels[Int(a)].key > 0 { profile.sampleLabels.append(attributeLabels[Int(a)]) }
            }
            if sample.linkIndex != 0 {
                guard table.linkTable.indices.contains(Int(sample.linkIndex)) else {
                    throw dictionary.outOfRange(sample.linkIndex, "link_table", table.linkTable.count, "\(field()).link_index")
                }
                let link = table.linkTable[Int(sample.linkIndex)]
                profile.sampleLabels.append(SampleLabel(key: string(SampleLabelGroups.spanIDLabel), str: string(Self.hex(link.spanID))))
                if link.traceID.count == 16 {
                    profile.sampleLabels.append(SampleLabel(key: string(SampleLabelGroups.traceIDLabel), str: string(Self.hex(link.traceID))))
                }
            }
            profile.sampleLocationOffsets.append(UInt32(profile.sampleLocations.count))
            profile.sampleValues.append(value)
            profile.sampleLabelOffsets.append(UInt32(profile.sampleLabels.count))
        }

        /// The profile's index of dictionary location `i`, converting it (its mapping, lines and functions) on first use.
        private mutating func location(_ i: Int32, _ field: @autoclosure () -> String) throws(OTLPError) -> UInt32 {
            let table = dictionary.table
            guard table.locationTable.indices.contains(Int(i)) else {
                throw dictionary.outOfRange(i, "location_table", table.locationTable.count, field())
            }
            if locationIndex[Int(i)] >= 0 { return UInt32(locationIndex[Int(i)]) }
            let src = table.locationTable[Int(i)]
            var loc = Location(id: UInt64(profile.locations.count + 1))
            loc.address = src.address
            let m = try mapping(src.mappingIndex, "dictionary.location_table[\(i)].mapping_index")
            loc.mappingIndex = m
            loc.lineStart = UInt32(profile.lines.count)
            var hasFunctions = !src.lines.isEmpty
            var hasLines = !src.lines.isEmpty
            var hasFilenames = !src.lines.isEmpty
            for (n, line) in src.lines.enumerated() {
                let f = try function(line.functionIndex, "dictionary.location_table[\(i)].lines[\(n)].function_index")
                profile.lines.append(Line(functionIndex: f, line: line.line))
                hasFunctions = hasFunctions && line.functionIndex > 0
                hasLines = hasLines && line.line > 0
                hasFilenames = hasFilenames && profile.functions[Int(f)].filename != 0
            }
            loc.lineCount = UInt32(src.lines.count)
            // A mapping has symbols of a kind only if every location of it seen has them.
            profile.mappings[Int(m)].hasFunctions = profile.mappings[Int(m)].hasFunctions && hasFunctions
            profile.mappings[Int(m)].hasLineNumbers = profile.mappings[Int(m)].hasLineNumbers && hasLines
            profile.mappings[Int(m)].hasFilenames = profile.mappings[Int(m)].hasFilenames && hasFilenames
            profile.mappings[Int(m)].hasInlineFrames = profile.mappings[Int(m)].hasInlineFrames && src.lines.count > 1
            locationIndex[Int(i)] = Int32(profile.locations.count)
            profile.locations.append(loc)
            return UInt32(profile.locations.count - 1)
        }

        private mutating func mapping(_ i: Int32, _ field: @autoclosure () -> String) throws(OTLPError) -> UInt32 {
            let table = dictionary.table
            guard table.mappingTable.indices.contains(Int(i)) else {
                throw dictionary.outOfRange(i, "mapping_table", table.mappingTable.count, field())
            }
            if mappingIndex[Int(i)] >= 0 { return UInt32(mappingIndex[Int(i)]) }
            let src = table.mappingTable[Int(i)]
            var m = Mapping(id: UInt64(profile.mappings.count + 1))
            m.memoryStart = src.memoryStart
            m.memoryLimit = src.memoryLimit
            m.fileOffset = src.fileOffset
            m.filename = string(try dictionary.string(src.filenameStrindex, "dictionary.mapping_table[\(i)].filename_strindex"))
            m.buildID = string(try dictionary.value(of: buildIDKey, in: src.attributeIndices, "dictionary.mapping_table[\(i)].attribute_indices"))
            (m.hasFunctions, m.hasFilenames, m.hasLineNumbers, m.hasInlineFrames) = (true, true, true, true)
            mappingIndex[Int(i)] = Int32(profile.mappings.count)
            profile.mappings.append(m)
            return UInt32(profile.mappings.count - 1)
        }

        private mutating func function(_ i: Int32, _ field: @autoclosure () -> String) throws(OTLPError) -> UInt32 {
            let table = dictionary.table
            guard table.functionTable.indices.contains(Int(i)) else {
                throw dictionary.outOfRange(i, "function_table", table.functionTable.count, field())
            }
            if functionIndex[Int(i)] >= 0 { return UInt32(functionIndex[Int(i)]) }
            let src = table.functionTable[Int(i)]
            var f = Function(id: UInt64(profile.functions.count + 1))
            f.name = string(try dictionary.string(src.nameStrindex, "dictionary.function_table[\(i)].name_strindex"))
            f.systemName = string(try dictionary.string(src.systemNameStrindex, "dictionary.function_table[\(i)].system_name_strindex"))
            f.filename = string(try dictionary.string(src.filenameStrindex, "dictionary.function_table[\(i)].filename_strindex"))
            f.startLine = src.startLine
            functionIndex[Int(i)] = Int32(profile.functions.count)
            profile.functions.append(f)
            return UInt32(profile.functions.count - 1)
        }

        static func hex(_ bytes: Data) -> String {
            let digits = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count * 2)
            for b in bytes {
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0xF)])
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
