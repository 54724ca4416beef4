/// One chunk of a recording, read: its profiling events, settings and the
/// stack traces they refer to (docs/format/jfr.md). Chunks are
/// self-contained: pool keys mean nothing outside their chunk.
public struct JFRChunk: Sendable {
    public var header: JFRChunkHeader
    /// Where the chunk starts in the recording.
    public var offset: Int
    /// The events of `JFREventKind`s, in file order.
    public var events: [JFREvent] = []
    public var settings: [JFRActiveSetting] = []
    /// Every stack trace of the chunk's pool, by key, methods resolved.
    public var stackTraces: [Int64: JFRStackTrace] = [:]
    /// How many events of each type name the chunk holds, the skipped ones included.
    public var eventCounts: [String: Int] = [:]
}

extension JFRChunk {
    /// Reads the chunk at `at` of `bytes`.
    /// - Complexity: O(chunk bytes); holds the chunk's pools of symbols,
    ///   classes, methods and stack traces, and its profiling events.
    init(_ bytes: UnsafeRawBufferPointer, at: Int) throws(JFRError) {
        header = try JFRChunkHeader(bytes, at: at)
        offset = at
        let end = at + header.chunkSize
        let metadata = try JFRMetadata(bytes, offset: at + header.metadataOffset, chunkEnd: end, compressed: header.compressedIntegers)
        var pools = JFRConstantPools(metadata)
        var raw: [RawEvent] = []
        let reader = JFRValueReader(metadata: metadata)
        var kinds: [Int64: JFREventKind] = [:]
        for k in JFREventKind.allCases { if let id = metadata.id(of: k.rawValue) { kinds[id] = k } }
        let activeSetting = metadata.id(of: "jdk.ActiveSetting")
        var rawSettings: [JFRValue] = []

        var counts: [Int64: Int] = [:]  // by type id: names are resolved once, at the end
        var c = JFRCursor(bytes, offset: at + JFRChunkHeader.size, end: end, compressed: header.compressedIntegers)
        while c.offset < end {
            let start = c.offset
            let size = try c.int()
            guard size > 0, size <= Int64(end - start) else { throw c.error("event size \(size) is outside the chunk", at: start) }
            let eventEnd = start + Int(size)
            c.end = eventEnd
            let type = try c.long()
            counts[type, default: 0] += 1
            switch type {
            case JFRRecording.metadataEventType:
                break
            case JFRRecording.constantPoolEventType:
                try pools.read(checkpoint: &c, reader)
            case activeSetting:
                rawSettings.append(try reader.value(of: type, &c))
            default:
                if let kind = kinds[type] { raw.append(RawEvent(kind: kind, value: try reader.value(of: type, &c))) }
            }
            c.end = end
            try c.seek(eventEnd)
        }
        for (type, n) in counts where type != JFRRecording.metadataEventType && type != JFRRecording.constantPoolEventType {
            eventCounts[metadata.classes[type]?.name ?? "\(type)", default: 0] += n
        }

        stackTraces = pools.stackTraces()
        events.reserveCapacity(raw.count)
        for r in raw { events.append(event(r, metadata, &pools)) }
        if let activeSetting, let cls = metadata.classes[activeSetting] {
            let (id, name, value) = (cls.field("id"), cls.field("name"), cls.field("value"))
            for s in rawSettings {
                settings.append(
                    JFRActiveSetting(
                        eventType: s[id].integer.flatMap { metadata.classes[$0]?.name } ?? "", name: pools.string(s[name]),
                        value: pools.string(s[value])))
            }
        }
    }

    private struct RawEvent {
        var kind: JFREventKind
        var value: JFRValue
    }

    private func event(_ r: RawEvent, _ metadata: JFRMetadata, _ pools: inout JFRConstantPools) -> JFREvent {
        let cls = metadata.classes[metadata.id(of: r.kind.rawValue)!]!
        let v = r.value
        var weight: Int64 = 0
        if let f = r.kind.weightField {
            weight = v[cls.field(f)].integer ?? 0
            if f == "duration" { weight = header.nanoseconds(ticks: weight) }
        }
        let startTicks = v[cls.field("startTime")].integer ?? header.startTicks
        let (sinceStart, o1) = startTicks.subtractingReportingOverflow(header.startTicks)
        let (start, o2) = header.startNanos.addingReportingOverflow(header.nanoseconds(ticks: o1 ? 0 : sinceStart))
        return JFREvent(
            kind: r.kind, stackTrace: v[cls.field("stackTrace")].integer ?? 0, weight: weight,
            contextID: v[cls.field("contextId")].integer ?? 0, spanID: v[cls.field("spanId")].integer ?? 0,
            spanName: v[cls.field("spanName")].integer ?? 0,
            threadState: r.kind == .executionSample ? v[cls.field("state")].integer.flatMap { pools.threadState($0) } : nil,
            startNanos: o2 ? header.startNanos : start)
    }
}
