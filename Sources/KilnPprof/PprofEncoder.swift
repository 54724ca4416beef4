import KilnCompression

/// Encodes a `Profile` as a pprof protobuf message, in field-number order with
/// packed repeated scalars (as Go's runtime/pprof writes them).
///
/// `decode(encode(p)) == p` for every profile `PprofDecoder` produces.
public enum PprofEncoder {
    /// The raw (uncompressed) protobuf bytes.
    public static func encode(_ p: Profile) -> [UInt8] {
        var w = WireWriter()
        for t in p.sampleTypes { w.message(1) { valueType(&$0, t) } }
        let nTypes = p.sampleTypes.count
        for i in 0..<p.sampleCount {
            w.message(2) { s in
                s.packed(1, p.locations(ofSample: i).map { p.locations[Int($0)].id })
                s.packed(2, p.sampleValues[(i * nTypes)..<((i + 1) * nTypes)].map { UInt64(bitPattern: $0) })
                for l in p.labels(ofSample: i) {
                    s.message(3) { m in
                        m.int64(1, l.key)
                        m.int64(2, l.str)
                        m.int64(3, l.num)
                        m.int64(4, l.numUnit)
                    }
                }
            }
        }
        for m in p.mappings {
            w.message(3) { x in
                x.uint64(1, m.id)
                x.uint64(2, m.memoryStart)
                x.uint64(3, m.memoryLimit)
                x.uint64(4, m.fileOffset)
                x.int64(5, m.filename)
                x.int64(6, m.buildID)
                x.bool(7, m.hasFunctions)
                x.bool(8, m.hasFilenames)
                x.bool(9, m.hasLineNumbers)
                x.bool(10, m.hasInlineFrames)
            }
        }
        for (i, loc) in p.locations.enumerated() {
            w.message(4) { x in
                x.uint64(1, loc.id)
                if loc.mappingIndex != Location.noMapping { x.uint64(2, p.mappings[Int(loc.mappingIndex)].id) }
                x.uint64(3, loc.address)
                for line in p.lines(ofLocation: i) {
                    x.message(4) { l in
                        l.uint64(1, p.functions[Int(line.functionIndex)].id)
                        l.int64(2, line.line)
                    }
                }
                x.bool(5, loc.isFolded)
            }
        }
        for f in p.functions {
            w.message(5) { x in
                x.uint64(1, f.id)
                x.int64(2, f.name)
                x.int64(3, f.systemName)
                x.int64(4, f.filename)
                x.int64(5, f.startLine)
            }
        }
        for i in 0..<p.strings.count { w.bytesField(6, p.strings.utf8(i)) }
        w.int64(7, p.dropFrames)
        w.int64(8, p.keepFrames)
        w.int64(9, p.timeNanos)
        w.int64(10, p.durationNanos)
        if let t = p.periodType { w.message(11) { valueType(&$0, t) } }
        w.int64(12, p.period)
        w.packed(13, p.comments.map { UInt64(bitPattern: $0) })
        w.int64(14, p.defaultSampleType)
        return w.bytes
    }

    /// The gzip-compressed protobuf, as `go tool pprof` and `/debug/pprof` exchange it.
    public static func encodeGzip(_ p: Profile) throws -> [UInt8] {
        try Gzip.compress(encode(p))
    }

    private static func valueType(_ w: inout WireWriter, _ t: ValueType) {
        w.int64(1, t.type)
        w.int64(2, t.unit)
    }
}
