import KilnPprof

extension OTLPProfiles.Dictionary {
    /// The dictionary's symbols as the tables of a pprof `Profile`, entry
    /// for entry: string, function, mapping and location `i` of the
    /// dictionary are index `i` of the profile (ids `i + 1`), so OTLP stacks
    /// index the profile's locations as they are. Built once per request and
    /// shared, copy-on-write, by every profile converted from it: a
    /// dictionary entry is converted once however many profiles (one per
    /// sample type and service) use it.
    ///
    /// - Throws: `OTLPError` naming the entry whose index is out of range, or
    ///   a string table that does not start with the empty string (the spec requires it).
    /// - Complexity: O(dictionary).
    func symbols() throws(OTLPError) -> Profile {
        var p = Profile()
        let strings = table.stringTable
        guard strings.first == "" else { throw OTLPError(field: "dictionary.string_table[0]", "must be the empty string") }
        for s in strings { _ = p.strings.append(s) }
        func string(_ i: Int32, _ field: @autoclosure () -> String) throws(OTLPError) -> Int64 {
            guard strings.indices.contains(Int(i)) else { throw outOfRange(i, "string_table", strings.count, field()) }
            return Int64(i)
        }
        p.functions.reserveCapacity(table.functionTable.count)
        for (i, src) in table.functionTable.enumerated() {
            var f = Function(id: UInt64(i + 1))
            f.name = try string(src.nameStrindex, "dictionary.function_table[\(i)].name_strindex")
            f.systemName = try string(src.systemNameStrindex, "dictionary.function_table[\(i)].system_name_strindex")
            f.filename = try string(src.filenameStrindex, "dictionary.function_table[\(i)].filename_strindex")
            f.startLine = src.startLine
            p.functions.append(f)
        }
        var buildIDs: [String: Int64] = [:]
        p.mappings.reserveCapacity(table.mappingTable.count)
        for (i, src) in table.mappingTable.enumerated() {
            var m = Mapping(id: UInt64(i + 1))
            (m.memoryStart, m.memoryLimit, m.fileOffset) = (src.memoryStart, src.memoryLimit, src.fileOffset)
            m.filename = try string(src.filenameStrindex, "dictionary.mapping_table[\(i)].filename_strindex")
            let buildID = try value(of: OTLPProfiles.buildIDKey, in: src.attributeIndices, "dictionary.mapping_table[\(i)].attribute_indices")
            if !buildID.isEmpty {
                if buildIDs[buildID] == nil { buildIDs[buildID] = p.strings.append(buildID) }
                m.buildID = buildIDs[buildID]!
            }
            // Cleared below by any of its locations that lacks the kind of symbol.
            (m.hasFunctions, m.hasFilenames, m.hasLineNumbers, m.hasInlineFrames) = (true, true, true, true)
            p.mappings.append(m)
        }
        p.locations.reserveCapacity(table.locationTable.count)
        for (i, src) in table.locationTable.enumerated() {
            var loc = Location(id: UInt64(i + 1))
            loc.address = src.address
            guard p.mappings.indices.contains(Int(src.mappingIndex)) else {
                throw outOfRange(src.mappingIndex, "mapping_table", p.mappings.count, "dictionary.location_table[\(i)].mapping_index")
            }
            let m = Int(src.mappingIndex)
            loc.mappingIndex = UInt32(m)
            loc.lineStart = UInt32(p.lines.count)
            var (hasFunctions, hasLines, hasFilenames) = (!src.lines.isEmpty, !src.lines.isEmpty, !src.lines.isEmpty)
            for (n, line) in src.lines.enumerated() {
                guard p.functions.indices.contains(Int(line.functionIndex)) else {
                    throw outOfRange(
                        line.functionIndex, "function_table", p.functions.count, "dictionary.location_table[\(i)].lines[\(n)].function_index")
                }
                p.lines.append(Line(functionIndex: UInt32(line.functionIndex), line: line.line))
                hasFunctions = hasFunctions && line.functionIndex > 0
                hasLines = hasLines && line.line > 0
                hasFilenames = hasFilenames && p.functions[Int(line.functionIndex)].filename != 0
            }
            loc.lineCount = UInt32(src.lines.count)
            p.mappings[m].hasFunctions = p.mappings[m].hasFunctions && hasFunctions
            p.mappings[m].hasLineNumbers = p.mappings[m].hasLineNumbers && hasLines
            p.mappings[m].hasFilenames = p.mappings[m].hasFilenames && hasFilenames
            p.mappings[m].hasInlineFrames = p.mappings[m].hasInlineFrames && src.lines.count > 1
            p.locations.append(loc)
        }
        return p
    }
}
