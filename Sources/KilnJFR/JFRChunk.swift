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
        // Each kind's fields are found by name once per chunk, not once per event.
        var kinds: [Int64: EventFields] = [:]
        for k in JFREventKind.allCases {
            if let id = metadata.id(of: k.rawValue), let cls = metadata.classes[id] { kinds[id] = EventFields(k, cls) }
        }
        let activeSetting = metadata.id(of: "jdk.ActiveSetting")
        var rawSettings: [JFRValue] = []

        var c = JFRCursor(bytes, offset: at + JFRChunkHeader.size, end: end, compressed: header.compressedIntegers)
        while c.offset < end {
            let start = c.offset
            let size = try c.int()
            guard size > 0, size <= Int64(end - start) else { throw c.error("event size \(size) is outside the chunk", at: start) }
            let eventEnd = start + Int(size)
            c.end = eventEnd
            let type = try c.long()
            switch type {
            case JFRRecording.metadataEventType:
                break
            case JFRRecording.constantPoolEventType:
                try pools.read(checkpoint: &c, reader)
            case activeSetting:
                rawSettings.append(try reader.value(of: type, &c))
            default:
                if let fields = kinds[type] { raw.append(RawEvent(fields: fields, value: try reader.value(of: type, &c))) }
            }
            c.end = end
            try c.seek(eventEnd)
        }

        stackTraces = pools.stackTraces()
        events.reserveCapacity(raw.count)
        for r in raw { events.append(event(r, pools)) }
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
        var fields: EventFields
        var value: JFRValue
    }

    /// Where an event kind's fields are in its class (nil: the class has none).
    private struct EventFields {
        let kind: JFREventKind
        let weight, startTime, stackTrace, contextID, spanID, spanName, state: Int?

        init(_ kind: JFREventKind, _ cls: JFRMetadata.Class) {
            self.kind = kind
            weight = kind.weightField.flatMap { cls.field($0) }
            (startTime, stackTrace, state) = (cls.field("startTime"), cls.field("stackTrace"), cls.field("state"))
            (contextID, spanID, spanName) = (cls.field("contextId"), cls.field("spanId"), cls.field("spanName"))
        }
    }

    private func event(_ r: RawEvent, _ pools: JFRConstantPools) -> JFREvent {
        let f = r.fields
        let v = r.value
        var weight = v[f.weight].integer ?? 0
        if f.kind.weightField == "duration" { weight = header.nanoseconds(ticks: weight) }
        let startTicks = v[f.startTime].integer ?? header.startTicks
        let (sinceStart, o1) = startTicks.subtractingReportingOverflow(header.startTicks)
        let (start, o2) = header.startNanos.addingReportingOverflow(header.nanoseconds(ticks: o1 ? 0 : sinceStart))
        return JFREvent(
            kind: f.kind, stackTrace: v[f.stackTrace].integer ?? 0, weight: weight, contextID: v[f.contextID].integer ?? 0,
            spanID: v[f.spanID].integer ?? 0, spanName: v[f.spanName].integer ?? 0,
            threadState: f.kind == .executionSample ? v[f.state].integer.flatMap { pools.threadState($0) } : nil,
            startNanos: o2 ? header.startNanos : start)
    }
}
