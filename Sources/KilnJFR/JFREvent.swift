/// The profiling events Kiln reads from a recording, by the JDK's and
/// async-profiler's event type names, and the field that weighs each.
public enum JFREventKind: String, Sendable, CaseIterable {
    /// CPU samples of the JDK (every `jdk.ExecutionSample#period`) and of
    /// async-profiler (cpu/itimer, or wall when its `event` setting is `wall`).
    case executionSample = "jdk.ExecutionSample"
    /// async-profiler's wall-clock samples; `samples` of them per event.
    case wallClockSample = "profiler.WallClockSample"
    /// An allocation that took a new TLAB; weighed by `tlabSize`.
    case allocationInNewTLAB = "jdk.ObjectAllocationInNewTLAB"
    /// An allocation outside any TLAB; weighed by `allocationSize`.
    case allocationOutsideTLAB = "jdk.ObjectAllocationOutsideTLAB"
    /// JDK 16+'s throttled allocation sample; weighed by `weight` (bytes it stands for).
    case allocationSample = "jdk.ObjectAllocationSample"
    /// A thread blocked entering a monitor; weighed by its `duration`.
    case monitorEnter = "jdk.JavaMonitorEnter"
    /// A thread parked (`LockSupport.park`); weighed by its `duration`.
    case threadPark = "jdk.ThreadPark"
    /// async-profiler's live-object sample (an allocation still reachable).
    case liveObject = "profiler.LiveObject"
    /// async-profiler's native allocation sample; weighed by `size`.
    case malloc = "profiler.Malloc"

    /// The field that weighs an event, if any (its value is 1 otherwise).
    var weightField: String? {
        switch self {
        case .executionSample, .liveObject: nil
        case .wallClockSample: "samples"
        case .allocationInNewTLAB: "tlabSize"
        case .allocationOutsideTLAB: "allocationSize"
        case .allocationSample: "weight"
        case .monitorEnter, .threadPark: "duration"
        case .malloc: "size"
        }
    }
}

/// One profiling event: what it is, where it happened, what it weighs.
public struct JFREvent: Sendable, Equatable {
    public var kind: JFREventKind
    /// The key of its stack trace in the chunk's pool (`JFRChunk.stackTraces`).
    public var stackTrace: Int64
    /// The weight field's value (`JFREventKind.weightField`); durations in
    /// nanoseconds; 0 when the kind has none.
    public var weight: Int64
    /// async-profiler's `contextId`: the key of the sample's labels in the
    /// agent's `LabelsSnapshot`; 0 for none.
    public var contextID: Int64
    /// async-profiler's `spanId` (the OpenTelemetry span the sample ran in) and
    /// `spanName` (a key into the `LabelsSnapshot` strings); 0 for none.
    public var spanID: Int64 = 0
    public var spanName: Int64 = 0
    /// `jdk.ExecutionSample#state`'s name (`STATE_RUNNABLE`, …), if known.
    public var threadState: String?
    /// When it started, Unix nanoseconds.
    public var startNanos: Int64
}

/// A `jdk.ActiveSetting` event: a recording setting of an event type.
public struct JFRActiveSetting: Sendable, Equatable {
    /// The event type the setting is for, by name; "" when the id is not in the metadata.
    public var eventType: String
    public var name: String
    public var value: String

    public init(eventType: String, name: String, value: String) {
        self.eventType = eventType
        self.name = name
        self.value = value
    }
}

/// One stack frame, its method resolved through the chunk's pools.
public struct JFRFrame: Sendable, Equatable, Hashable {
    /// The key of the method in the chunk's pool: equal keys, equal methods.
    public var methodID: Int64
    /// The class in internal form (`java/lang/Thread`); "" for native frames
    /// of async-profiler, which carry only a name.
    public var className: String
    public var methodName: String
    public var line: Int32
}

/// A stack trace, leaf frame first.
public struct JFRStackTrace: Sendable, Equatable {
    public var frames: [JFRFrame]
    /// The JVM cut the stack at its depth limit (`stackdepth`, 64 by default).
    public var truncated: Bool
}
