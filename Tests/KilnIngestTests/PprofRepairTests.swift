import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

/// The repairs and rules of Pyroscope's pprof `/ingest` path for other
/// agents than Go's: .NET's zero function ids, the scripting spies' names,
/// `sample_type_config`.
@Suite struct PprofRepairTests {
    static func request(_ query: [String: String]) throws -> IngestRequest {
        try IngestRequest(query: ["name": "app", "from": "1700000000", "until": "1700000010"].merging(query) { $1 }, nowNanos: 0)
    }

    /// A CPU profile as old dotnetspy writes it: one function per location,
    /// every function id 0, lines naming the function by its location's id.
    static func dotnetProfile() -> [UInt8] {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        b.addSample(stack: ["Program.Main", "Worker.Run", "Worker.Spin"], values: [30_000_000])
        b.addSample(stack: ["Program.Main", "Worker.Run"], values: [10_000_000])
        return withoutFunctionIDs(PprofEncoder.encode(b.build(timeNanos: 1_700_000_000_000_000_000, durationNanos: 10_000_000_000)))
    }

    /// `raw` with field 1 (`id`) removed from every `Function` (field 5).
    static func withoutFunctionIDs(_ raw: [UInt8]) -> [UInt8] {
        func varint(_ b: [UInt8], _ i: inout Int) -> UInt64 {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let c = b[i]
                i += 1
                v |= UInt64(c & 0x7F) << shift
                if c < 0x80 { return v }
                shift += 7
            }
        }
        func put(_ v: UInt64, _ out: inout [UInt8]) {
            var v = v
            while v >= 0x80 {
                out.append(UInt8(v & 0x7F) | 0x80)
                v >>= 7
            }
            out.append(UInt8(v))
        }
        var out: [UInt8] = []
        var i = 0
        while i < raw.count {
            let start = i
            let tag = varint(raw, &i)
            switch tag & 7 {
            case 0: _ = varint(raw, &i)
            case 2:
                let n = Int(varint(raw, &i))
                if tag >> 3 == 5 {
                    var inner: [UInt8] = []
                    var j = i
                    while j < i + n {
                        let fieldStart = j
                        let t = varint(raw, &j)
                        _ = varint(raw, &j)  // every Function field is a varint
                        if t >> 3 != 1 { inner += raw[fieldStart..<j] }
                    }
                    put(tag, &out)
                    put(UInt64(inner.count), &out)
                    out += inner
                    i += n
                    continue
                }
                i += n
            default: preconditionFailure("unexpected wire type")
            }
            out += raw[start..<i]
        }
        return out
    }

    static func names(_ p: Profile) -> Set<String> { Set(p.functions.map { p.strings[$0.name] }) }

    @Test func dotnetspyZeroFunctionIDsAreRepairedOnIngestAndRefusedOnPush() throws {
        let raw = Self.dotnetProfile()
        let out = try IngestConverter.convert(Self.request(["format": "pprof", "spyName": "dotnetspy"]), contentType: nil, body: raw)
        let p = try #require(out.first).profile
        #expect(Self.names(p) == ["Program.Main", "Worker.Run", "Worker.Spin"] && p.total(ofType: 0) == 40_000_000)
        // Known by its `inuse-space` sample type config too, when the client names no spy.
        let (ct, body) = MultipartBody.make([
            ("profile", "profile.pprof", raw), ("sample_type_config", "sample_type_config.json", Array(#"{"inuse-space":{"units":"bytes"}}"#.utf8)),
        ])
        #expect(try IngestConverter.convert(Self.request([:]), contentType: ct, body: body).count == 1)
        // Other spies, and Push, refuse it with Pyroscope's wording.
        let other = #expect(throws: IngestError.self) {
            _ = try IngestConverter.convert(Self.request(["format": "pprof", "spyName": "gospy"]), contentType: nil, body: raw)
        }
        #expect(other?.kind == .unprocessable && other?.message.contains("function id is 0") == true)
        let push = #expect(throws: IngestError.self) {
            _ = try PushConverter.convert(
                labels: [Label("__name__", "process_cpu"), Label("service_name", "app")], rawProfile: raw, id: "", nowNanos: 0)
        }
        #expect(push?.message.contains("function id is 0") == true)
    }

    @Test func scriptingSpiesNameFunctionsByFileWithAnUnknownLine() throws {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        b.addSample(stack: ["<module>", "work"], values: [10_000_000])
        var p = b.build(timeNanos: 1_700_000_000_000_000_000, durationNanos: 10_000_000_000)
        let module = try #require(p.functions.firstIndex { p.strings[$0.name] == "<module>" })
        p.functions[module].filename = p.strings.append("app.py")
        for spy in ["pyspy", "rbspy", "scripting"] {
            let out = try IngestConverter.convert(
                Self.request(["format": "pprof", "spyName": spy]), contentType: nil, body: PprofEncoder.encode(p))
            #expect(Self.names(try #require(out.first).profile) == ["app.py:-1 - <module>", ":-1 - work"], "\(spy)")
        }
        let go = try IngestConverter.convert(Self.request(["format": "pprof", "spyName": "gospy"]), contentType: nil, body: PprofEncoder.encode(p))
        #expect(Self.names(try #require(go.first).profile) == ["<module>", "work"])
    }

    @Test func sampleTypeConfigNamesTheProfile() throws {
        var b = ProfileBuilder(sampleTypes: [("contentions", "count"), ("delay", "nanoseconds")], periodType: ("contentions", "count"), period: 1)
        b.addSample(stack: ["main", "lock"], values: [1, 500])
        let raw = PprofEncoder.encode(b.build(timeNanos: 1_700_000_000_000_000_000, durationNanos: 10_000_000_000))
        func name(_ config: String?) throws -> String? {
            var parts: [(name: String, filename: String?, body: [UInt8])] = [("profile", "profile.pprof", raw)]
            if let config { parts.append(("sample_type_config", "sample_type_config.json", Array(config.utf8))) }
            let (ct, body) = MultipartBody.make(parts)
            return try IngestConverter.convert(Self.request([:]), contentType: ct, body: body).first?.series.first?.labels["__name__"]
        }
        // Without a config, Pyroscope's default mapping: contentions → mutex_count.
        #expect(try name(nil) == "mutex")
        // pyroscope-go's block profile config names them block_*.
        #expect(try name(#"{"contentions":{"display-name":"block_count"},"delay":{"display-name":"block_duration"}}"#) == "block")
        // A config replaces the defaults: with no display names, the last type's own name.
        #expect(try name(#"{"contentions":{"units":"count"}}"#) == "delay")
    }
}
