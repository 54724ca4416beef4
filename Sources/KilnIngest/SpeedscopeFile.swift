import Foundation
import KilnPprof

/// A speedscope JSON file (https://www.speedscope.app/file-format-schema.json)
/// read into stacks, as Pyroscope's `/ingest?format=speedscope` reads it
/// (shared/reference/pyroscope-api.md §3.3): one entry per profile, profiles
/// with the same name, type, unit and start value merged into one, ordered
/// by start value.
///
/// Values: a sampled profile's weight, or an evented profile's time between
/// two events, multiplied by the unit's `precision` and truncated to an
/// integer; `IngestConverter` then turns them into nanoseconds with the
/// unit's `defaultSampleRate`. (Pyroscope truncates before multiplying,
/// which loses fractional weights, and leaves the time before a child opens
/// unmultiplied; for integer weights and times the stacks are the same.)
///
/// Cost: the JSON is decoded whole (Foundation's decoder); a stack is
/// built per sample or event, O(depth).
public struct SpeedscopeFile: Sendable, Equatable {
    /// The `$schema` every speedscope file names; any other is refused.
    public static let schema = "https://www.speedscope.app/file-format-schema.json"

    /// A profile's `unit`.
    public enum Unit: String, Sendable, Equatable, Decodable {
        case none, nanoseconds, microseconds, milliseconds, seconds, bytes

        /// What a value is multiplied by before it is truncated to an
        /// integer: 100 for times and `none` (two decimals of the unit kept,
        /// Pyroscope's `timePrecisionMultiplier`), 1 for bytes, and 1 for
        /// nanoseconds (a hundredth of a nanosecond is below any clock).
        public var precision: Int64 {
            switch self {
            case .bytes, .nanoseconds: 1
            default: 100
            }
        }

        /// The sampling rate (Hz) that `value × precision` stands for when
        /// the upload names none: the converter's period (1e9 / rate ns)
        /// then turns it back into nanoseconds. `none` is 100 Hz (10 ms a
        /// sample, as Pyroscope's agents sample); bytes have no rate.
        /// (Pyroscope computes nanoseconds' 100 GHz in 32 bits, which wraps
        /// and makes the period 0: it stores nothing for them.)
        public var defaultSampleRate: Int64 {
            switch self {
            case .nanoseconds: 1_000_000_000
            case .microseconds: 100_000_000
            case .milliseconds: 100_000
            case .seconds: 100
            case .none: 10_000
            case .bytes: 0
            }
        }
    }

    /// One (merged) profile of the file.
    public struct Profile: Sendable, Equatable {
        public var name: String
        public var unit: Unit
        /// Root first; values already multiplied by the unit's precision.
        public var stacks: [FoldedStack]
    }

    public var profiles: [Profile]

    /// Why a file was refused: the reason names the profile, event or sample.
    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Reads a speedscope file.
    /// - Throws: `Invalid` for JSON that is not a speedscope file, another
    ///   schema, an unknown unit or profile type, a frame index out of range,
    ///   events out of order or closing a frame not open, a negative or
    ///   non-finite weight, or samples and weights of different lengths.
    public init(json: [UInt8]) throws(Invalid) {
        let file: Wire.File
        do { file = try JSONDecoder().decode(Wire.File.self, from: Data(json)) } catch {
            throw Invalid(reason: "not a speedscope JSON file: \(Self.describe(error))")
        }
        guard file.schema == Self.schema else {
            throw Invalid(reason: "unknown schema \"\(file.schema ?? "")\" (speedscope files name \(Self.schema))")
        }
        let frames = file.shared?.frames.map(\.name) ?? []
        var merged: [Wire.Profile] = []
        var index: [Wire.Profile.MergeKey: Int] = [:]
        for p in file.profiles ?? [] {
            if let i = index[p.mergeKey] {
                merged[i].samples = (merged[i].samples ?? []) + (p.samples ?? [])
                merged[i].weights = (merged[i].weights ?? []) + (p.weights ?? [])
                merged[i].events = (merged[i].events ?? []) + (p.events ?? [])
            } else {
                index[p.mergeKey] = merged.count
                merged.append(p)
            }
        }
        // Stable: equal start values keep the file's order.
        let ordered = merged.enumerated().sorted { ($0.element.startValue ?? 0, $0.offset) < ($1.element.startValue ?? 0, $1.offset) }
        profiles = try ordered.map { (_, p) throws(Invalid) in try Self.read(p, frames: frames) }
    }

    static func read(_ p: Wire.Profile, frames: [String]) throws(Invalid) -> Profile {
        let name = p.name ?? ""
        guard let unitName = p.unit, let unit = Unit(rawValue: unitName) else {
            throw Invalid(reason: "profile \"\(name)\": unknown unit \"\(p.unit ?? "")\"")
        }
        func frame(_ id: Int) throws(Invalid) -> String {
            guard frames.indices.contains(id) else {
                throw Invalid(reason: "profile \"\(name)\": frame \(id) out of range (\(frames.count) frames)")
            }
            return frames[id]
        }
        func value(_ amount: Double, _ what: @autoclosure () -> String) throws(Invalid) -> Int64 {
            let scaled = amount * Double(unit.precision)
            guard scaled.isFinite, scaled >= 0, scaled < 9.0e18 else {
                throw Invalid(reason: "profile \"\(name)\": \(what()) \(amount) is negative, not finite or too large")
            }
            return Int64(scaled)
        }
        var stacks: [FoldedStack] = []
        switch p.type {
        case "sampled":
            let samples = p.samples ?? []
            let weights = p.weights ?? []
            guard samples.count == weights.count else {
                throw Invalid(reason: "profile \"\(name)\": \(samples.count) samples but \(weights.count) weights")
            }
            for (i, sample) in samples.enumerated() {
                var stack: [String] = []
                for id in sample { stack.append(try frame(id)) }
                stacks.append(FoldedStack(frames: stack, value: try value(weights[i], "weight of sample \(i)")))
            }
        case "evented":
            var last = p.startValue ?? 0
            var open: [(id: Int, name: String)] = []
            for (i, event) in (p.events ?? []).enumerated() {
                guard event.at >= last else {
                    throw Invalid(reason: "profile \"\(name)\": event \(i) at \(event.at) is before the previous one at \(last)")
                }
                let frameName = try frame(event.frame)
                // The time since the previous event is the open stack's own.
                if !open.isEmpty {
                    stacks.append(FoldedStack(frames: open.map(\.name), value: try value(event.at - last, "time before event \(i)")))
                }
                switch event.type {
                case "O": open.append((event.frame, frameName))
                case "C":
                    guard open.last?.id == event.frame else {
                        throw Invalid(
                            reason: "profile \"\(name)\": event \(i) closes frame \(event.frame), which is not the innermost open frame")
                    }
                    open.removeLast()
                default:
                    throw Invalid(reason: "profile \"\(name)\": event \(i) has unknown type \"\(event.type)\" (O or C)")
                }
                last = event.at
            }
        default:
            throw Invalid(reason: "profile \"\(name)\": profile type \"\(p.type ?? "")\" is not supported (sampled or evented)")
        }
        return Profile(name: name, unit: unit, stacks: stacks)
    }

    /// A decoding error in a sentence, with the path to the bad value.
    static func describe(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch e {
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "\(path(c)): \(c.debugDescription)"
        case .keyNotFound(let key, let c): return "\(path(c)): missing key \(key.stringValue)"
        case .dataCorrupted(let c): return c.debugDescription
        @unknown default: return "\(error)"
        }
    }

    /// The file as JSON has it; only what Pyroscope reads.
    enum Wire {
        struct File: Decodable {
            var schema: String?
            var shared: Shared?
            var profiles: [Profile]?
            enum CodingKeys: String, CodingKey {
                case schema = "$schema"
                case shared, profiles
            }
        }
        struct Shared: Decodable { var frames: [Frame] }
        struct Frame: Decodable { var name: String }
        struct Event: Decodable {
            var type: String
            var at: Double
            var frame: Int
        }
        struct Profile: Decodable {
            var type: String?
            var name: String?
            var unit: String?
            var startValue: Double?
            var samples: [[Int]]?
            var weights: [Double]?
            var events: [Event]?

            struct MergeKey: Hashable {
                var name: String?
                var type: String?
                var unit: String?
                var startValue: Double?
            }
            var mergeKey: MergeKey { MergeKey(name: name, type: type, unit: unit, startValue: startValue) }
        }
    }
}
