/// Writes small JFR recordings shaped as async-profiler writes them (one
/// chunk, compressed integers, metadata at the end; docs/format/jfr.md), for
/// tests of what the JDK's own recordings never carry: `contextId` (the key
/// of pyroscope-java's dynamic labels), `profiler.WallClockSample`,
/// `profiler.LiveObject` and the `event` setting.
public struct JFRWriter {
    public struct Frame: Sendable {
        public var className: String
        public var methodName: String
        public var line: Int64
        public init(_ className: String, _ methodName: String, line: Int64 = 0) {
            self.className = className
            self.methodName = methodName
            self.line = line
        }
    }

    public enum Event: Sendable {
        /// `jdk.ExecutionSample` with its thread state (`STATE_RUNNABLE`, `STATE_SLEEPING`).
        case execution(stack: [Frame], state: String = "STATE_RUNNABLE", contextID: Int64 = 0, spanID: Int64 = 0, spanName: Int64 = 0)
        /// `profiler.WallClockSample` standing for `samples` samples.
        case wallClock(stack: [Frame], samples: Int64)
        case liveObject(stack: [Frame])
        /// `jdk.ActiveSetting` of async-profiler (`event` = `cpu`, `itimer`, `wall`).
        case setting(name: String, value: String)
    }

    // Class ids; 0 and 1 are the metadata and checkpoint event types.
    static let (longID, intID, booleanID, stringID) = (10 as Int64, 11 as Int64, 12 as Int64, 13 as Int64)
    static let (symbolID, classID, methodID, frameID, stackTraceID, stateID) = (
        20 as Int64, 21 as Int64, 22 as Int64, 23 as Int64, 24 as Int64, 25 as Int64
    )
    static let (executionID, wallID, liveID, settingID) = (30 as Int64, 31 as Int64, 32 as Int64, 33 as Int64)

    /// A one-chunk recording of `events`, leaf frame first in each stack.
    public static func recording(_ events: [Event], startNanos: Int64 = 1_700_000_000_000_000_000) -> [UInt8] {
        var symbols: [String: Int64] = [:]
        var classes: [String: Int64] = [:]
        var methods: [String: (Int64, Int64, Int64)] = [:]  // key → (id, class, name)
        var stacks: [[Frame]] = []
        var states: [String: Int64] = [:]
        func symbol(_ s: String) -> Int64 {
            if let i = symbols[s] { return i }
            symbols[s] = Int64(symbols.count + 1)
            return symbols[s]!
        }
        func method(_ f: Frame) -> Int64 {
            let key = f.className + "." + f.methodName
            if let m = methods[key] { return m.0 }
            let c = classes[f.className] ?? Int64(classes.count + 1)
            classes[f.className] = c
            _ = symbol(f.className)
            let m = (Int64(methods.count + 1), c, symbol(f.methodName))
            methods[key] = m
            return m.0
        }
        func stack(_ frames: [Frame]) -> Int64 {
            for f in frames { _ = method(f) }
            stacks.append(frames)
            return Int64(stacks.count)
        }
        func state(_ s: String) -> Int64 {
            if let i = states[s] { return i }
            states[s] = Int64(states.count + 1)
            return states[s]!
        }

        var body = Bytes()
        for (i, e) in events.enumerated() {
            var p = Bytes()
            let ticks = Int64(i) * 1_000_000
            switch e {
            case .execution(let frames, let st, let context, let span, let spanName):
                p.long(executionID)
                p.long(ticks)
                p.long(stack(frames))
                p.long(state(st))
                p.long(context)
                p.long(span)
                p.long(spanName)
            case .wallClock(let frames, let n):
                p.long(wallID)
                p.long(ticks)
                p.long(stack(frames))
                p.long(n)
            case .liveObject(let frames):
                p.long(liveID)
                p.long(ticks)
                p.long(stack(frames))
            case .setting(let name, let value):
                p.long(settingID)
                p.long(ticks)
                p.long(executionID)
                p.string(name)
                p.string(value)
            }
            body.event(p)
        }

        var pools = Bytes()
        pools.long(1)
        pools.long(0)
        pools.long(0)
        pools.long(0)
        pools.bytes.append(0)
        pools.long(6)
        pools.long(symbolID)
        pools.long(Int64(symbols.count))
        for (s, i) in symbols.sorted(by: { $0.value < $1.value }) {
            pools.long(i)
            pools.string(s)
        }
        pools.long(classID)
        pools.long(Int64(classes.count))
        for (name, i) in classes.sorted(by: { $0.value < $1.value }) {
            pools.long(i)
            pools.long(symbols[name]!)
        }
        pools.long(methodID)
        pools.long(Int64(methods.count))
        for m in methods.values.sorted(by: { $0.0 < $1.0 }) {
            pools.long(m.0)
            pools.long(m.1)
            pools.long(m.2)
        }
        pools.long(stackTraceID)
        pools.long(Int64(stacks.count))
        for (i, frames) in stacks.enumerated() {
            pools.long(Int64(i + 1))
            pools.bytes.append(0)
            pools.long(Int64(frames.count))
            for f in frames {
                pools.long(methods[f.className + "." + f.methodName]!.0)
                pools.long(f.line)
            }
        }
        pools.long(stateID)
        pools.long(Int64(states.count))
        for (s, i) in states.sorted(by: { $0.value < $1.value }) {
            pools.long(i)
            pools.string(s)
        }
        pools.long(longID)
        pools.long(0)  // an empty pool, as writers emit them
        var checkpoint = Bytes()
        checkpoint.event(pools)

        var metadata = Bytes()
        metadata.event(metadataPayload())

        let header = 68
        let cpOffset = header + body.bytes.count
        let metaOffset = cpOffset + checkpoint.bytes.count
        let size = metaOffset + metadata.bytes.count
        var out: [UInt8] = [0x46, 0x4C, 0x52, 0x00, 0, 2, 0, 1]
        for v in [Int64(size), Int64(cpOffset), Int64(metaOffset), startNanos, Int64(events.count) * 1_000_000, 0, 1_000_000_000] {
            for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: v >> Int64(s))) }
        }
        out += [0, 0, 0, 1]  // generation, reserved, flags: compressed integers
        return out + body.bytes + checkpoint.bytes + metadata.bytes
    }

    private static func metadataPayload() -> Bytes {
        var strings: [String] = []
        func s(_ x: String) -> Int64 {
            if let i = strings.firstIndex(of: x) { return Int64(i) }
            strings.append(x)
            return Int64(strings.count - 1)
        }
        struct Element {
            var name: String
            var attributes: [(String, String)]
            var children: [Element]
        }
        func field(_ name: String, _ type: Int64, pool: Bool = false, array: Bool = false) -> Element {
            var a = [("name", name), ("class", "\(type)")]
            if pool { a.append(("constantPool", "true")) }
            if array { a.append(("dimension", "1")) }
            return Element(name: "field", attributes: a, children: [])
        }
        func cls(_ id: Int64, _ name: String, _ fields: [Element]) -> Element {
            Element(name: "class", attributes: [("id", "\(id)"), ("name", name)], children: fields)
        }
        let classes = [
            cls(longID, "long", []), cls(intID, "int", []), cls(booleanID, "boolean", []), cls(stringID, "java.lang.String", []),
            cls(symbolID, "jdk.types.Symbol", [field("string", stringID)]),
            cls(classID, "java.lang.Class", [field("name", symbolID, pool: true)]),
            cls(methodID, "jdk.types.Method", [field("type", classID, pool: true), field("name", symbolID, pool: true)]),
            cls(frameID, "jdk.types.StackFrame", [field("method", methodID, pool: true), field("lineNumber", intID)]),
            cls(stackTraceID, "jdk.types.StackTrace", [field("truncated", booleanID), field("frames", frameID, array: true)]),
            cls(stateID, "jdk.types.ThreadState", [field("name", stringID)]),
            cls(
                executionID, "jdk.ExecutionSample",
                [
                    field("startTime", longID), field("stackTrace", stackTraceID, pool: true), field("state", stateID, pool: true),
                    field("contextId", longID), field("spanId", longID), field("spanName", longID),
                ]),
            cls(
                wallID, "profiler.WallClockSample",
                [field("startTime", longID), field("stackTrace", stackTraceID, pool: true), field("samples", intID)]),
            cls(liveID, "profiler.LiveObject", [field("startTime", longID), field("stackTrace", stackTraceID, pool: true)]),
            cls(
                settingID, "jdk.ActiveSetting", [field("startTime", longID), field("id", longID), field("name", stringID), field("value", stringID)]),
        ]
        let root = Element(
            name: "root", attributes: [],
            children: [Element(name: "metadata", attributes: [], children: classes), Element(name: "region", attributes: [], children: [])])
        var tree = Bytes()
        func write(_ e: Element) {
            tree.long(s(e.name))
            tree.long(Int64(e.attributes.count))
            for (k, v) in e.attributes {
                tree.long(s(k))
                tree.long(s(v))
            }
            tree.long(Int64(e.children.count))
            for c in e.children { write(c) }
        }
        write(root)
        var p = Bytes()
        p.long(0)
        p.long(0)
        p.long(0)
        p.long(1)
        p.long(Int64(strings.count))
        for x in strings { p.string(x) }
        p.bytes += tree.bytes
        return p
    }

    /// JFR's compressed encodings (docs/format/jfr.md §2).
    struct Bytes {
        var bytes: [UInt8] = []

        mutating func long(_ v: Int64) {
            var u = UInt64(bitPattern: v)
            for _ in 0..<8 {
                if u < 0x80 {
                    bytes.append(UInt8(u))
                    return
                }
                bytes.append(UInt8(u & 0x7F) | 0x80)
                u >>= 7
            }
            bytes.append(UInt8(truncatingIfNeeded: u))
        }

        mutating func string(_ s: String) {
            bytes.append(3)
            long(Int64(s.utf8.count))
            bytes += Array(s.utf8)
        }

        /// An event: its size (counting the size field itself) and `payload`.
        mutating func event(_ payload: Bytes) {
            var n = 1
            while true {
                var size = Bytes()
                size.long(Int64(payload.bytes.count + n))
                if size.bytes.count == n {
                    bytes += size.bytes + payload.bytes
                    return
                }
                n += 1
            }
        }
    }
}
