import Foundation
import KilnIngest
import KilnModel
import KilnPprof
import KilnProto

extension OTLPProfiles {
    /// Builds one pprof `Profile` from OTLP samples over the request's
    /// symbols (`Dictionary.symbols()`, shared copy-on-write): samples index
    /// the dictionary's locations as they are; only the strings a profile adds
    /// (its type names, attribute values, span ids) are its own.
    ///
    /// Invariant: `attributeLabels[i]` is attribute `i`'s label once converted (key -1 before; key 0: no label).
    struct ProfileBuilder {
        private(set) var profile: Profile
        private let dictionary: Dictionary
        /// Strings this profile added beyond the dictionary's table.
        private var added: [String: Int64] = [:]
        private var attributeLabels: [SampleLabel]

        init(
            sampleType: (String, String), periodType: (String, String)?, period: Int64, timeNanos: Int64, durationNanos: Int64,
            dictionary: Dictionary, symbols: Profile
        ) {
            self.dictionary = dictionary
            profile = symbols
            attributeLabels = Array(repeating: SampleLabel(key: -1), count: dictionary.table.attributeTable.count)
            profile.sampleTypes = [ValueType(type: string(sampleType.0), unit: string(sampleType.1))]
            profile.defaultSampleType = profile.sampleTypes[0].type
            if let periodType { profile.periodType = ValueType(type: string(periodType.0), unit: string(periodType.1)) }
            profile.period = period
            profile.timeNanos = timeNanos
            profile.durationNanos = durationNanos
        }

        /// `s` as a string of the profile: the dictionary's entry when it has one, else added once.
        mutating func string(_ s: String) -> Int64 {
            if s.isEmpty { return 0 }
            if let i = dictionary.stringIndex[s] { return i }
            if let i = added[s] { return i }
            let i = profile.strings.append(s)
            added[s] = i
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
                guard profile.locations.indices.contains(Int(l)) else {
                    throw dictionary.outOfRange(
                        l, "location_table", profile.locations.count, "dictionary.stack_table[\(stack)].location_indices[\(n)]")
                }
                profile.sampleLocations.append(UInt32(l))
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
