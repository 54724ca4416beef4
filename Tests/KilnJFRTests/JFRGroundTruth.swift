import Foundation
import KilnJFR

/// A recording's profiling events reduced to what a profile keeps: type,
/// stack (leaf first, `class.method:line`), truncation and weight. Two
/// readers agree on a recording when their summaries are equal multisets.
struct EventSummary: Hashable, CustomStringConvertible {
    var type: String
    var stack: [String]
    var truncated: Bool
    var weight: Int64

    var description: String { "\(type) w=\(weight)\(truncated ? " truncated" : "") \(stack.prefix(3).joined(separator: " < "))" }

    /// Kiln's reading of every chunk.
    static func of(_ chunks: [JFRChunk]) -> [EventSummary: Int] {
        var out: [EventSummary: Int] = [:]
        for chunk in chunks {
            for e in chunk.events {
                let st = chunk.stackTraces[e.stackTrace]
                let stack = st?.frames.map { "\($0.className).\($0.methodName):\($0.line)" } ?? []
                out[EventSummary(type: e.kind.rawValue, stack: stack, truncated: st?.truncated ?? false, weight: e.weight), default: 0] += 1
            }
        }
        return out
    }

    /// The JDK's reading: `jfr print --json` output.
    static func of(jfrPrintJSON json: [UInt8]) throws -> [EventSummary: Int] {
        let root = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any]
        let events = (root?["recording"] as? [String: Any])?["events"] as? [[String: Any]] ?? []
        var out: [EventSummary: Int] = [:]
        for e in events {
            guard let type = e["type"] as? String, let kind = JFREventKind(rawValue: type), let values = e["values"] as? [String: Any] else {
                continue
            }
            let st = values["stackTrace"] as? [String: Any]
            let frames = st?["frames"] as? [[String: Any]] ?? []
            let stack = frames.map { f -> String in
                let method = f["method"] as? [String: Any]
                let cls = (method?["type"] as? [String: Any])?["name"] as? String ?? ""
                return "\(cls).\(method?["name"] as? String ?? ""):\(f["lineNumber"] as? Int ?? 0)"
            }
            var weight: Int64 = 0
            switch kind {
            case .allocationInNewTLAB: weight = (values["tlabSize"] as? NSNumber)?.int64Value ?? -1
            case .allocationOutsideTLAB: weight = (values["allocationSize"] as? NSNumber)?.int64Value ?? -1
            case .allocationSample: weight = (values["weight"] as? NSNumber)?.int64Value ?? -1
            case .monitorEnter, .threadPark: weight = isoDurationNanos(values["duration"] as? String ?? "") ?? -1
            default: break
            }
            out[EventSummary(type: type, stack: stack, truncated: st?["truncated"] as? Bool ?? false, weight: weight), default: 0] += 1
        }
        return out
    }

    /// The `jdk.ActiveSetting`s `jfr print` shows: (event type id, name, value).
    static func settings(jfrPrintJSON json: [UInt8]) throws -> [(Int, String, String)] {
        let root = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any]
        let events = (root?["recording"] as? [String: Any])?["events"] as? [[String: Any]] ?? []
        return events.compactMap { e in
            guard e["type"] as? String == "jdk.ActiveSetting", let v = e["values"] as? [String: Any] else { return nil }
            return ((v["id"] as? NSNumber)?.intValue ?? -1, v["name"] as? String ?? "", v["value"] as? String ?? "")
        }
    }

    /// `PT0.0300724S`, `PT1M2.5S`, `PT0S` → nanoseconds (java.time.Duration's `toString`).
    static func isoDurationNanos(_ s: String) -> Int64? {
        guard s.hasPrefix("PT") else { return nil }
        var total: Int64 = 0
        var number = ""
        for ch in s.dropFirst(2) {
            switch ch {
            case "H", "M":
                guard let v = Int64(number) else { return nil }
                total += v * (ch == "H" ? 3_600 : 60) * 1_000_000_000
                number = ""
            case "S":
                let negative = number.hasPrefix("-")
                let parts = number.drop { $0 == "-" }.split(separator: ".", omittingEmptySubsequences: false)
                guard let whole = Int64(parts.first ?? "") else { return nil }
                var nanos = whole * 1_000_000_000
                if parts.count == 2 { nanos += Int64(parts[1].padding(toLength: 9, withPad: "0", startingAt: 0)) ?? 0 }
                total += negative ? -nanos : nanos
                number = ""
            default: number.append(ch)
            }
        }
        return total
    }
}
