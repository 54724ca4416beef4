import KilnModel

/// The query parameters of `POST /ingest` (shared/reference/pyroscope-api.md §3.2).
public struct IngestRequest: Sendable, Equatable {
    /// The text of `name` before `{`: the application, possibly with a `.suffix` naming the profile type.
    public var appName: String
    /// The `{k=v,…}` labels of `name`.
    public var labels: [Label]
    public var fromNanos: Int64
    public var untilNanos: Int64
    /// `format`, or nil when absent.
    public var format: String?
    /// `sampleRate` in Hz; invalid or negative values fall back to 100.
    public var sampleRate: Int64
    public var spyName: String
    public var units: String
    public var aggregationType: String

    /// `until − from`, or 0 when `until` is not after `from` (never overflows).
    public var durationNanos: Int64 {
        let (d, overflow) = untilNanos.subtractingReportingOverflow(fromNanos)
        return overflow || d < 0 ? 0 : d
    }

    /// Sampling rate used when the client sends none or an invalid one: 100 Hz,
    /// the rate of every Pyroscope agent.
    public static let defaultSampleRate: Int64 = 100

    /// Parses the query parameters.
    /// - Throws: `IngestError.invalidArgument` for a missing or malformed `name`
    ///   or an unparsable `from`/`until`.
    public init(query: [String: String], nowNanos: Int64) throws(IngestError) {
        guard let name = query["name"], !name.isEmpty else {
            throw IngestError(.invalidArgument, "the name parameter is required (app name and labels, e.g. name=myapp.cpu{env=prod})")
        }
        (appName, labels) = try Self.parseName(name)
        guard let from = AtTime.parse(query["from"] ?? "", nowNanos: nowNanos) else {
            throw IngestError(.invalidArgument, "invalid from \"\(query["from"] ?? "")\"")
        }
        guard let until = AtTime.parse(query["until"] ?? "", nowNanos: nowNanos) else {
            throw IngestError(.invalidArgument, "invalid until \"\(query["until"] ?? "")\"")
        }
        fromNanos = from
        untilNanos = until
        format = query["format"]
        if let r = query["sampleRate"].flatMap({ Int64($0) }), r >= 0 { sampleRate = r } else { sampleRate = Self.defaultSampleRate }
        spyName = query["spyName"].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
        units = query["units"].flatMap { $0.isEmpty ? nil : $0 } ?? "samples"
        aggregationType = query["aggregationType"].flatMap { $0.isEmpty ? nil : $0 } ?? "sum"
    }

    /// Parses `appName{k=v,k2=v2}`: keys and values trimmed, no quoting.
    static func parseName(_ name: String) throws(IngestError) -> (String, [Label]) {
        let app: String
        var labels: [Label] = []
        if let open = name.firstIndex(of: "{") {
            app = String(name[..<open]).trimmingSpaces()
            guard name.last == "}" else { throw IngestError(.invalidArgument, "invalid name \"\(name)\": missing closing '}'") }
            let inner = name[name.index(after: open)..<name.index(before: name.endIndex)]
            for pair in inner.split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else {
                    throw IngestError(.invalidArgument, "invalid name \"\(name)\": label \"\(pair)\" is not key=value")
                }
                let key = kv[0].trimmingCharacters()
                let value = kv[1].trimmingCharacters()
                guard !key.isEmpty, key.utf8.allSatisfy(isLabelKeyByte) else {
                    throw IngestError(.invalidArgument, "invalid name \"\(name)\": invalid label key \"\(key)\"")
                }
                guard key != ReservedLabels.name else {
                    throw IngestError(.invalidArgument, "invalid name \"\(name)\": \(ReservedLabels.name) is a reserved label key")
                }
                labels.append(Label(key, value))
            }
        } else {
            app = name.trimmingSpaces()
        }
        guard !app.isEmpty else { throw IngestError(.invalidArgument, "invalid name \"\(name)\": the app name is empty") }
        guard app.utf8.allSatisfy(isAppNameByte) else {
            throw IngestError(.invalidArgument, "invalid name \"\(name)\": app name may contain only letters, digits and _ . / -")
        }
        return (app, labels)
    }

    private static func isAlnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) }
    private static func isLabelKeyByte(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") }
    private static func isAppNameByte(_ c: UInt8) -> Bool {
        isAlnum(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "/") || c == UInt8(ascii: "-")
    }
}
