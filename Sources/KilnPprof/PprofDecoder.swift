import KilnCompression

/// Kiln's hand-written decoder for pprof `Profile` messages (gzip or raw).
///
/// It decodes straight into `Profile`'s flat arrays (no object per sample,
/// location or string), then validates the profile as `go tool pprof` does:
/// every string index in range, every sample with one value per sample type,
/// every location and function reference resolvable. A profile that passes is
/// safe to index without further checks.
public enum PprofDecoder {
    /// Largest decompressed profile accepted by default: 64 MiB. Go's runtime
    /// profiles are kilobytes to a few megabytes; Pyroscope's default
    /// per-profile limit is of the same order (`max_profile_size_bytes`).
    public static let defaultMaxDecompressedBytes = 64 << 20

    /// Decodes a pprof payload, gunzipping it first when it starts with the gzip magic.
    /// - Throws: `PprofError` naming the problem and, where it has one, the byte offset.
    public static func decode(_ bytes: [UInt8], maxDecompressedBytes: Int = defaultMaxDecompressedBytes) throws(PprofError) -> Profile {
        try decodeRaw(uncompressed(bytes, maxDecompressedBytes: maxDecompressedBytes))
    }

    /// The uncompressed protobuf of a pprof payload: gunzipped when it starts
    /// with the gzip magic, as is otherwise.
    /// - Throws: `PprofError` with `tooLarge` when it exceeds `maxDecompressedBytes`.
    public static func uncompressed(_ bytes: [UInt8], maxDecompressedBytes: Int = defaultMaxDecompressedBytes) throws(PprofError) -> [UInt8] {
        if Gzip.isGzip(bytes) {
            do {
                return try Gzip.decompress(bytes, maxOutputBytes: maxDecompressedBytes)
            } catch {
                let failure = error as? CompressionError
                let reason = failure?.reason ?? "\(error)"
                if failure?.exceedsOutputLimit == true {
                    throw PprofError(offset: nil, "decompressed profile exceeds the limit of \(maxDecompressedBytes) bytes", tooLarge: true)
                }
                throw PprofError(offset: nil, "bad gzip: \(reason)")
            }
        }
        guard bytes.count <= maxDecompressedBytes else {
            throw PprofError(offset: nil, "profile of \(bytes.count) bytes exceeds the limit of \(maxDecompressedBytes) bytes", tooLarge: true)
        }
        return bytes
    }

    /// Decodes an uncompressed protobuf `Profile`.
    /// - Parameter repairingZeroFunctionIDs: old dotnetspy writes every
    ///   function with id 0, one function per location, in the same order;
    ///   when set and the profile is so, function `i` takes location `i`'s id
    ///   (Pyroscope's `FixFunctionIDForBrokenDotnet`, applied on `/ingest`).
    /// - Complexity: O(n) in the input size, plus O(locations + functions) for reference resolution.
    public static func decodeRaw(_ bytes: [UInt8], repairingZeroFunctionIDs: Bool = false) throws(PprofError) -> Profile {
        var state = DecodeState()
        state.repairZeroFunctionIDs = repairingZeroFunctionIDs
        do {
            try bytes.withUnsafeBufferPointer { buf in
                guard let base = buf.baseAddress else { return }
                var reader = WireReader(base: base, range: 0..<buf.count)
                try state.decodeProfile(&reader)
            }
        } catch let e as PprofError {
            throw e
        } catch {
            throw PprofError(offset: nil, "\(error)")
        }
        return try state.finish()
    }
}

/// Decoding scratch: the profile under construction plus the raw pprof ids
/// that are resolved to indices once every entity has been read (pprof allows
/// samples to precede the locations they reference).
private struct DecodeState {
    var p = Profile()
    var repairZeroFunctionIDs = false
    var sampleLocationIDs: [UInt64] = []
    var locationMappingIDs: [UInt64] = []
    var lineFunctionIDs: [UInt64] = []

    mutating func decodeProfile(_ r: inout WireReader) throws(PprofError) {
        p.strings.reserve(bytes: (r.end - r.pos) / 4)
        while !r.atEnd {
            let (field, wire) = try r.tag()
            switch field {
            case 1:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = r.sub(try r.lengthDelimited())
                p.sampleTypes.append(try decodeValueType(&m))
            case 2:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = r.sub(try r.lengthDelimited())
                try decodeSample(&m)
            case 3:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = r.sub(try r.lengthDelimited())
                p.mappings.append(try decodeMapping(&m))
            case 4:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = r.sub(try r.lengthDelimited())
                try decodeLocation(&m)
            case 5:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = r.sub(try r.lengthDelimited())
                p.functions.append(try decodeFunction(&m))
            case 6:
                try r.expect(wire, .lengthDelimited, field: field)
                let s = try r.lengthDelimited()
                p.strings.append(utf8: UnsafeBufferPointer(start: r.base + s.lowerBound, count: s.count))
            case 7:
                try r.expect(wire, .varint, field: field)
                p.dropFrames = try r.int64()
            case 8:
                try r.expect(wire, .varint, field: field)
                p.keepFrames = try r.int64()
            case 9:
                try r.expect(wire, .varint, field: field)
                p.timeNanos = try r.int64()
            case 10:
                try r.expect(wire, .varint, field: field)
                p.durationNanos = try r.int64()
            case 11:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = r.sub(try r.lengthDelimited())
                p.periodType = try decodeValueType(&m)
            case 12:
                try r.expect(wire, .varint, field: field)
                p.period = try r.int64()
            case 13:
                try r.repeatedVarint(wire, field: field) { p.comments.append(Int64(bitPattern: $0)) }
            case 14:
                try r.expect(wire, .varint, field: field)
                p.defaultSampleType = try r.int64()
            default:
                try r.skip(wire, field: field)
            }
        }
    }

    func decodeValueType(_ r: inout WireReader) throws(PprofError) -> ValueType {
        var v = ValueType(type: 0, unit: 0)
        while !r.atEnd {
            let (field, wire) = try r.tag()
            switch field {
            case 1:
                try r.expect(wire, .varint, field: field)
                v.type = try r.int64()
            case 2:
                try r.expect(wire, .varint, field: field)
                v.unit = try r.int64()
            default: try r.skip(wire, field: field)
            }
        }
        return v
    }

    mutating func decodeSample(_ r: inout WireReader) throws(PprofError) {
        let valuesBefore = p.sampleValues.count
        while !r.atEnd {
            let (field, wire) = try r.tag()
            switch field {
            case 1: try r.repeatedVarint(wire, field: field) { sampleLocationIDs.append($0) }
            case 2: try r.repeatedVarint(wire, field: field) { p.sampleValues.append(Int64(bitPattern: $0)) }
            case 3:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = r.sub(try r.lengthDelimited())
                var label = SampleLabel(key: 0)
                while !m.atEnd {
                    let (f, w) = try m.tag()
                    switch f {
                    case 1:
                        try m.expect(w, .varint, field: f)
                        label.key = try m.int64()
                    case 2:
                        try m.expect(w, .varint, field: f)
                        label.str = try m.int64()
                    case 3:
                        try m.expect(w, .varint, field: f)
                        label.num = try m.int64()
                    case 4:
                        try m.expect(w, .varint, field: f)
                        label.numUnit = try m.int64()
                    default: try m.skip(w, field: f)
                    }
                }
                p.sampleLabels.append(label)
            default: try r.skip(wire, field: field)
            }
        }
        // Value counts are checked against sample_type once every field is read;
        // remember this sample's count in the offsets of its values.
        sampleValueCounts.append(UInt32(p.sampleValues.count - valuesBefore))
        p.sampleLocationOffsets.append(UInt32(sampleLocationIDs.count))
        p.sampleLabelOffsets.append(UInt32(p.sampleLabels.count))
    }

    var sampleValueCounts: [UInt32] = []

    func decodeMapping(_ r: inout WireReader) throws(PprofError) -> Mapping {
        var m = Mapping(id: 0)
        while !r.atEnd {
            let (field, wire) = try r.tag()
            if field <= 10 { try r.expect(wire, .varint, field: field) }
            switch field {
            case 1: m.id = try r.varint()
            case 2: m.memoryStart = try r.varint()
            case 3: m.memoryLimit = try r.varint()
            case 4: m.fileOffset = try r.varint()
            case 5: m.filename = try r.int64()
            case 6: m.buildID = try r.int64()
            case 7: m.hasFunctions = try r.bool()
            case 8: m.hasFilenames = try r.bool()
            case 9: m.hasLineNumbers = try r.bool()
            case 10: m.hasInlineFrames = try r.bool()
            default: try r.skip(wire, field: field)
            }
        }
        return m
    }

    mutating func decodeLocation(_ r: inout WireReader) throws(PprofError) {
        var loc = Location(id: 0)
        var mappingID: UInt64 = 0
        loc.lineStart = UInt32(p.lines.count)
        while !r.atEnd {
            let (field, wire) = try r.tag()
            switch field {
            case 1:
                try r.expect(wire, .varint, field: field)
                loc.id = try r.varint()
            case 2:
                try r.expect(wire, .varint, field: field)
                mappingID = try r.varint()
            case 3:
                try r.expect(wire, .varint, field: field)
                loc.address = try r.varint()
            case 4:
                try r.expect(wire, .lengthDelimited, field: field)
                var m = r.sub(try r.lengthDelimited())
                var functionID: UInt64 = 0
                var line: Int64 = 0
                while !m.atEnd {
                    let (f, w) = try m.tag()
                    switch f {
                    case 1:
                        try m.expect(w, .varint, field: f)
                        functionID = try m.varint()
                    case 2:
                        try m.expect(w, .varint, field: f)
                        line = try m.int64()
                    default: try m.skip(w, field: f)
                    }
                }
                p.lines.append(Line(functionIndex: 0, line: line))
                lineFunctionIDs.append(functionID)
            case 5:
                try r.expect(wire, .varint, field: field)
                loc.isFolded = try r.bool()
            default: try r.skip(wire, field: field)
            }
        }
        loc.lineCount = UInt32(p.lines.count) - loc.lineStart
        p.locations.append(loc)
        locationMappingIDs.append(mappingID)
    }

    func decodeFunction(_ r: inout WireReader) throws(PprofError) -> Function {
        var fn = Function(id: 0)
        while !r.atEnd {
            let (field, wire) = try r.tag()
            if field <= 5 { try r.expect(wire, .varint, field: field) }
            switch field {
            case 1: fn.id = try r.varint()
            case 2: fn.name = try r.int64()
            case 3: fn.systemName = try r.int64()
            case 4: fn.filename = try r.int64()
            case 5: fn.startLine = try r.int64()
            default: try r.skip(wire, field: field)
            }
        }
        return fn
    }

    /// Resolves ids to indices and validates the whole profile.
    mutating func finish() throws(PprofError) -> Profile {
        if p.strings.count == 0 {
            p.strings.append("")
        } else if !p.strings.utf8(0).isEmpty {
            throw PprofError(offset: nil, "string_table[0] must be the empty string")
        }
        let nStrings = Int64(p.strings.count)
        func checkString(_ i: Int64, _ what: @autoclosure () -> String) throws(PprofError) {
            guard i >= 0 && i < nStrings else {
                throw PprofError(
                    offset: nil, "string index out of range: \(what()) refers to string \(i), but the string table has \(nStrings) entries")
            }
        }
        for (i, t) in p.sampleTypes.enumerated() {
            try checkString(t.type, "sample_type[\(i)].type")
            try checkString(t.unit, "sample_type[\(i)].unit")
        }
        if let t = p.periodType {
            try checkString(t.type, "period_type.type")
            try checkString(t.unit, "period_type.unit")
        }
        try checkString(p.dropFrames, "drop_frames")
        try checkString(p.keepFrames, "keep_frames")
        try checkString(p.defaultSampleType, "default_sample_type")
        for c in p.comments { try checkString(c, "comment") }

        // Samples: one value per sample type.
        let nTypes = UInt32(p.sampleTypes.count)
        for (i, n) in sampleValueCounts.enumerated() where n != nTypes {
            throw PprofError(offset: nil, "sample \(i) has \(n) values, but the profile has \(nTypes) sample types")
        }
        for (i, l) in p.sampleLabels.enumerated() {
            try checkString(l.key, "sample label \(i) key")
            try checkString(l.str, "sample label \(i) str")
            try checkString(l.numUnit, "sample label \(i) num_unit")
        }

        // Mappings, functions.
        for m in p.mappings {
            try checkString(m.filename, "mapping \(m.id) filename")
            try checkString(m.buildID, "mapping \(m.id) build_id")
        }
        for f in p.functions {
            try checkString(f.name, "function \(f.id) name")
            try checkString(f.systemName, "function \(f.id) system_name")
            try checkString(f.filename, "function \(f.id) filename")
        }
        if repairZeroFunctionIDs, p.functions.count == p.locations.count, p.functions.allSatisfy({ $0.id == 0 }) {
            for i in p.functions.indices { p.functions[i].id = p.locations[i].id }
        }
        let mappingIndex = try IDIndex(p.mappings.map(\.id), kind: "mapping")
        let functionIndex = try IDIndex(p.functions.map(\.id), kind: "function")
        let locationIndex = try IDIndex(p.locations.map(\.id), kind: "location")

        for i in p.locations.indices {
            let mid = locationMappingIDs[i]
            if mid != 0 {
                guard let m = mappingIndex[mid] else {
                    throw PprofError(offset: nil, "location \(p.locations[i].id) refers to mapping \(mid), which does not exist")
                }
                p.locations[i].mappingIndex = m
            }
        }
        for i in p.lines.indices {
            guard let f = functionIndex[lineFunctionIDs[i]] else {
                let loc = p.locations.first { UInt32(i) >= $0.lineStart && UInt32(i) < $0.lineStart + $0.lineCount }
                throw PprofError(offset: nil, "location \(loc?.id ?? 0) has a line with function \(lineFunctionIDs[i]), which does not exist")
            }
            p.lines[i].functionIndex = f
        }
        p.sampleLocations.reserveCapacity(sampleLocationIDs.count)
        for id in sampleLocationIDs {
            guard let l = locationIndex[id] else {
                throw PprofError(offset: nil, "a sample refers to location \(id), which does not exist")
            }
            p.sampleLocations.append(l)
        }
        return p
    }
}

/// Maps pprof ids (nonzero, unique) to array indices. Ids are almost always
/// `1...n` in order (Go's runtime writes them so); then the map is the identity
/// shifted by one and costs nothing.
private struct IDIndex {
    let dense: Bool
    let count: Int
    let map: [UInt64: UInt32]

    init(_ ids: [UInt64], kind: String) throws(PprofError) {
        count = ids.count
        if ids.enumerated().allSatisfy({ $0.element == UInt64($0.offset + 1) }) {
            dense = true
            map = [:]
            return
        }
        dense = false
        var m = [UInt64: UInt32](minimumCapacity: ids.count)
        for (i, id) in ids.enumerated() {
            // Pyroscope's wording ("function id is 0"), then which one.
            guard id != 0 else { throw PprofError(offset: nil, "\(kind) id is 0 (\(kind) \(i))") }
            guard m.updateValue(UInt32(i), forKey: id) == nil else {
                throw PprofError(offset: nil, "duplicate \(kind) id \(id)")
            }
        }
        map = m
    }

    subscript(id: UInt64) -> UInt32? {
        if dense { return id >= 1 && id <= UInt64(count) ? UInt32(id - 1) : nil }
        return map[id]
    }
}
