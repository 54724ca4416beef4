/// The constant pool entries of one chunk that profiles need: strings,
/// symbols, classes, methods, stack traces and thread states. Entries of
/// every other class are skipped as they are read (docs/format/jfr.md §4).
struct JFRConstantPools {
    private let metadata: JFRMetadata
    private let stringID, symbolID, classID, methodID, stackTraceID, threadStateID: Int64?
    private var strings: [Int64: String] = [:]
    private var symbols: [Int64: JFRValue] = [:]
    private var classes: [Int64: JFRValue] = [:]
    private var methods: [Int64: JFRValue] = [:]
    private var rawStackTraces: [Int64: JFRValue] = [:]
    private var threadStates: [Int64: JFRValue] = [:]

    init(_ metadata: JFRMetadata) {
        self.metadata = metadata
        stringID = metadata.id(of: "java.lang.String")
        symbolID = metadata.id(of: "jdk.types.Symbol")
        classID = metadata.id(of: "java.lang.Class")
        methodID = metadata.id(of: "jdk.types.Method")
        stackTraceID = metadata.id(of: "jdk.types.StackTrace")
        threadStateID = metadata.id(of: "jdk.types.ThreadState")
    }

    /// Reads a checkpoint event's pools; `c` is past the event's type.
    mutating func read(checkpoint c: inout JFRCursor, _ reader: JFRValueReader) throws(JFRError) {
        _ = try c.long()  // start ticks
        _ = try c.long()  // duration
        _ = try c.long()  // delta to the previous checkpoint
        _ = try c.u8()  // checkpoint kind (flush, chunk header, statics, thread)
        for _ in 0..<(try c.count()) {
            let type = try c.long()
            guard metadata.classes[type] != nil else { throw c.error("constant pool of class \(type), which the metadata does not declare") }
            for _ in 0..<(try c.count()) {
                let key = try c.long()
                switch type {
                case stringID:
                    strings[key] = string(try reader.value(of: type, &c))
                case symbolID: symbols[key] = try reader.value(of: type, &c)
                case classID: classes[key] = try reader.value(of: type, &c)
                case methodID: methods[key] = try reader.value(of: type, &c)
                case stackTraceID: rawStackTraces[key] = try reader.value(of: type, &c)
                case threadStateID: threadStates[key] = try reader.value(of: type, &c)
                default: try reader.skipValue(of: type, &c)
                }
            }
        }
    }

    /// A string value, through the string pool when it is pooled; "" for null.
    func string(_ v: JFRValue) -> String {
        switch v {
        case .string(let s): s
        case .pooledString(let i): strings[i] ?? ""
        default: ""
        }
    }

    private func field(_ type: Int64?, _ name: String) -> Int? { type.flatMap { metadata.classes[$0]?.field(name) } }

    func threadState(_ key: Int64) -> String? {
        threadStates[key].map { string($0[field(threadStateID, "name")]) }
    }

    private func symbol(_ key: Int64?) -> String {
        guard let key, let s = symbols[key] else { return "" }
        return string(s[field(symbolID, "string")])
    }

    /// Every stack trace, its frames' methods resolved. A frame whose method
    /// or class is not in the pools is left out, as Pyroscope leaves it.
    func stackTraces() -> [Int64: JFRStackTrace] {
        let frameType = stackTraceID.flatMap { metadata.classes[$0] }.flatMap { cls in
            cls.field("frames").map { cls.fields[$0].typeID }
        }
        let (truncatedField, framesField) = (field(stackTraceID, "truncated"), field(stackTraceID, "frames"))
        let (methodField, lineField) = (field(frameType, "method"), field(frameType, "lineNumber"))
        let (typeField, nameField) = (field(methodID, "type"), field(methodID, "name"))
        let classNameField = field(classID, "name")
        var out: [Int64: JFRStackTrace] = [:]
        out.reserveCapacity(rawStackTraces.count)
        for (key, st) in rawStackTraces {
            var frames: [JFRFrame] = []
            if case .array(let items) = st[framesField] {
                frames.reserveCapacity(items.count)
                for f in items {
                    guard let m = f[methodField].integer, let method = methods[m],
                        let cls = method[typeField].integer.flatMap({ classes[$0] })
                    else { continue }
                    frames.append(
                        JFRFrame(
                            methodID: m, className: symbol(cls[classNameField].integer), methodName: symbol(method[nameField].integer),
                            line: Int32(truncatingIfNeeded: f[lineField].integer ?? 0)))
                }
            }
            out[key] = JFRStackTrace(frames: frames, truncated: (st[truncatedField].integer ?? 0) != 0)
        }
        return out
    }
}
