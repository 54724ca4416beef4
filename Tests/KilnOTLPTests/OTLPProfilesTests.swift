import KilnIngest
import KilnModel
import KilnPprof
import KilnProto
import Testing

@testable import KilnOTLP

/// `OTLPProfiles.convert` on requests built here: Pyroscope's naming of
/// profile types and services, labels, values, symbols, and refusals that
/// name the field.
@Suite struct OTLPProfilesTests {
    typealias P = Opentelemetry_Proto_Profiles_V1development_Profile

    /// A request over one dictionary: functions `main` (1) and `work` (2) at
    /// locations 1 and 2 of mapping 1; stack 1 = work ← main, stack 2 = main;
    /// attribute 1 thread.name=worker, 2 service.name=svc-b.
    static func request(
        _ profiles: [P], resource: [(String, String)] = [("service.name", "svc-a")], scope: [(String, String)] = [], strings extra: [String] = []
    ) -> OTLPProfiles.Request {
        var d = Opentelemetry_Proto_Profiles_V1development_ProfilesDictionary()
        d.stringTable =
            ["", "main", "work", "app.go", "/bin/app", "thread.name", "worker", "service.name", "svc-b", "process.executable.build_id.gnu", "abcd"]
            + extra
        var m = Opentelemetry_Proto_Profiles_V1development_Mapping()
        (m.memoryStart, m.memoryLimit, m.filenameStrindex, m.attributeIndices) = (0x400000, 0x500000, 4, [3])
        d.mappingTable = [.init(), m]
        d.functionTable =
            [.init()]
            + [Int32(1), 2].map { n in
                var f = Opentelemetry_Proto_Profiles_V1development_Function()
                (f.nameStrindex, f.filenameStrindex) = (n, 3)
                return f
            }
        d.locationTable =
            [.init()]
            + [1, 2].map { n in
                var l = Opentelemetry_Proto_Profiles_V1development_Location()
                var line = Opentelemetry_Proto_Profiles_V1development_Line()
                (line.functionIndex, line.line) = (Int32(n), Int64(10 * n))
                (l.mappingIndex, l.address, l.lines) = (1, UInt64(0x401000 + n), [line])
                return l
            }
        d.stackTable =
            [.init()]
            + [[Int32(2), 1], [1]].map { ids in
                var s = Opentelemetry_Proto_Profiles_V1development_Stack()
                s.locationIndices = ids
                return s
            }
        var link = Opentelemetry_Proto_Profiles_V1development_Link()
        link.spanID = .init([1, 2, 3, 4, 5, 6, 7, 8])
        link.traceID = .init(Array(0..<16))
        d.linkTable = [.init(), link]
        d.attributeTable = [.init(), attribute(5, "worker"), attribute(7, "svc-b"), attribute(9, "abcd")]
        var r = OTLPProfiles.Request()
        r.dictionary = d
        var rp = Opentelemetry_Proto_Profiles_V1development_ResourceProfiles()
        rp.resource.attributes = resource.map(keyValue)
        var sp = Opentelemetry_Proto_Profiles_V1development_ScopeProfiles()
        sp.scope.attributes = scope.map(keyValue)
        sp.profiles = profiles
        rp.scopeProfiles = [sp]
        r.resourceProfiles = [rp]
        return r
    }

    static func attribute(_ key: Int32, _ value: String) -> Opentelemetry_Proto_Profiles_V1development_KeyValueAndUnit {
        var a = Opentelemetry_Proto_Profiles_V1development_KeyValueAndUnit()
        a.keyStrindex = key
        a.value.stringValue = value
        return a
    }

    static func keyValue(_ kv: (String, String)) -> Opentelemetry_Proto_Common_V1_KeyValue {
        var out = Opentelemetry_Proto_Common_V1_KeyValue()
        out.key = kv.0
        if let i = Int64(kv.1) { out.value.intValue = i } else { out.value.stringValue = kv.1 }
        return out
    }

    /// A profile of sample type (`type`, `unit`) (string indices), an optional period type, and samples.
    static func profile(
        _ type: (Int32, Int32), period: (Int32, Int32)? = nil, every: Int64 = 0, _ samples: [Opentelemetry_Proto_Profiles_V1development_Sample]
    ) -> P {
        var p = P()
        p.sampleType.typeStrindex = type.0
        p.sampleType.unitStrindex = type.1
        if let period {
            p.periodType.typeStrindex = period.0
            p.periodType.unitStrindex = period.1
        }
        p.period = every
        p.timeUnixNano = 1_700_000_000_000_000_000
        p.samples = samples
        return p
    }

    static func sample(stack: Int32, _ values: [Int64], attributes: [Int32] = [], link: Int32 = 0, timestamps: Int = 0)
        -> Opentelemetry_Proto_Profiles_V1development_Sample
    {
        var s = Opentelemetry_Proto_Profiles_V1development_Sample()
        s.stackIndex = stack
        s.values = values
        s.attributeIndices = attributes
        s.linkIndex = link
        s.timestampsUnixNano = (0..<timestamps).map { UInt64(1_700_000_000_000_000_000 + $0) }
        return s
    }

    static func label(_ c: DecodedProfile, _ name: String) -> String? { c.labels.first { $0.name == name }?.value }

    @Test func cpuSampleCountsBecomeNanosecondsOfProcessCPU() throws {
        // Strings 11, 12, 13, 14: samples, count, cpu, nanoseconds.
        let p = Self.profile(
            (11, 12), period: (13, 14), every: 10_000_000,
            [Self.sample(stack: 1, [2, 1], attributes: [1]), Self.sample(stack: 2, [], timestamps: 3), Self.sample(stack: 1, [4], attributes: [2])])
        let out = try OTLPProfiles.convert(
            Self.request([p], scope: [("region", "eu")], strings: ["samples", "count", "cpu", "nanoseconds"]), nowNanos: 0)
        // One profile per sample service: svc-a (the resource's) and svc-b (the third sample's).
        try #require(out.count == 2)
        let a = out[0].profile
        #expect(Self.label(out[0], "__name__") == "process_cpu" && Self.label(out[0], "service_name") == "svc-a")
        #expect(Self.label(out[1], "service_name") == "svc-b" && Self.label(out[0], "region") == "eu" && Self.label(out[0], "__delta__") == "false")
        #expect(a.strings[a.sampleTypes[0].type] == "cpu" && a.strings[a.sampleTypes[0].unit] == "nanoseconds")
        #expect(a.period == 10_000_000 && a.strings[a.periodType!.type] == "cpu")
        // Values summed, then × period; timestamps without values count one each.
        #expect(a.sampleValues == [30_000_000, 30_000_000])
        #expect(out[1].profile.sampleValues == [40_000_000])
        // Symbols as sent: leaf first, lines, addresses, the mapping's file and build id.
        let leafIndex = Int(a.locations(ofSample: 0).first!)
        let leaf = a.locations[leafIndex]
        #expect(leaf.address == 0x401002 && a.strings[a.functions[Int(a.lines(ofLocation: leafIndex).first!.functionIndex)].name] == "work")
        #expect(a.lines(ofLocation: leafIndex).first?.line == 20)
        let mapping = a.mappings[Int(leaf.mappingIndex)]
        #expect(a.strings[mapping.filename] == "/bin/app" && a.strings[mapping.buildID] == "abcd" && mapping.memoryStart == 0x400000)
        #expect(mapping.hasFunctions && mapping.hasLineNumbers && !mapping.hasInlineFrames)
        // thread.name is a sample label; service.name is not.
        #expect(a.labels(ofSample: 0).map { "\(a.strings[$0.key])=\(a.strings[$0.str])" } == ["thread.name=worker"])
        #expect(out[1].profile.labels(ofSample: 0).isEmpty)
    }

    @Test func profileTypesAreNamedAsPyroscopeNamesThem() {
        let cases: [((String, String), (String, String)?, String, (String, String))] = [
            (("samples", "count"), ("cpu", "nanoseconds"), "process_cpu", ("cpu", "nanoseconds")),
            (("off_cpu", "nanoseconds"), nil, "off_cpu", ("off_cpu", "nanoseconds")),
            (("alloc_space", "bytes"), ("space", "bytes"), "space", ("alloc_space", "bytes")),
            (("events", "count"), nil, "events", ("events", "count")),
        ]
        for (sampleType, periodType, name, stored) in cases {
            let (n, s, _) = OTLPProfiles.ProfileConversion.type(sampleType, periodType: periodType, period: 1)
            #expect(n == name && s == stored, "\(sampleType) \(String(describing: periodType))")
        }
    }

    @Test func servicesFallBackToTheExecutable() throws {
        let p = Self.profile((1, 2), [Self.sample(stack: 1, [1])])
        let named = try OTLPProfiles.convert(Self.request([p], resource: [("process.executable.name", "/usr/bin/tool")]), nowNanos: 0)
        #expect(named.map { Self.label($0, "service_name") } == ["unknown_service:/usr/bin/tool"])
        let none = try OTLPProfiles.convert(Self.request([p], resource: [("process.pid", "7")]), nowNanos: 5)
        #expect(none.map { Self.label($0, "service_name") } == ["unknown_service"] && none.first.map { Self.label($0, "process.pid") } == "7")
        // No time: now; no duration: Pyroscope's 10 s.
        var timeless = p
        timeless.timeUnixNano = 0
        let t = try OTLPProfiles.convert(Self.request([timeless]), nowNanos: 5)
        #expect(t.first?.profile.timeNanos == 5 && t.first?.profile.durationNanos == 10_000_000_000)
    }

    @Test func aLinkBecomesSpanAndTraceLabels() throws {
        let out = try OTLPProfiles.convert(Self.request([Self.profile((1, 2), [Self.sample(stack: 1, [1], link: 1)])]), nowNanos: 0)
        let p = try #require(out.first).profile
        #expect(
            p.labels(ofSample: 0).map { "\(p.strings[$0.key])=\(p.strings[$0.str])" } == [
                "span_id=0102030405060708", "trace_id=000102030405060708090a0b0c0d0e0f",
            ])
    }

    @Test func badIndicesAreRefusedNamingTheField() {
        func refusal(_ edit: (inout OTLPProfiles.Request) -> Void) -> String? {
            var r = Self.request([Self.profile((1, 2), [Self.sample(stack: 1, [1], attributes: [1])])])
            edit(&r)
            do {
                _ = try OTLPProfiles.convert(r, nowNanos: 0)
                return nil
            } catch { return error.description }
        }
        let sample = "resource_profiles[0].scope_profiles[0].profiles[0].samples[0]"
        #expect(
            refusal { $0.resourceProfiles[0].scopeProfiles[0].profiles[0].samples[0].stackIndex = 9 }?.hasPrefix("\(sample).stack_index: index 9")
                == true)
        #expect(
            refusal { $0.resourceProfiles[0].scopeProfiles[0].profiles[0].samples[0].attributeIndices = [1, 40] }?.hasPrefix(
                "\(sample).attribute_indices[1]") == true)
        #expect(refusal { $0.resourceProfiles[0].scopeProfiles[0].profiles[0].samples[0].linkIndex = 3 }?.hasPrefix("\(sample).link_index") == true)
        #expect(
            refusal { $0.resourceProfiles[0].scopeProfiles[0].profiles[0].samples[0].values = [] } == "\(sample).values: sample value is required")
        #expect(refusal { $0.dictionary.locationTable[1].mappingIndex = 7 }?.hasPrefix("dictionary.location_table[1].mapping_index") == true)
        #expect(refusal { $0.dictionary.functionTable[2].nameStrindex = 99 }?.hasPrefix("dictionary.function_table[2].name_strindex") == true)
        #expect(refusal { $0.dictionary.stackTable[1].locationIndices = [1, 8] }?.hasPrefix("dictionary.stack_table[1].location_indices[1]") == true)
        #expect(refusal { $0.dictionary.attributeTable[1].keyStrindex = 50 }?.hasPrefix("dictionary.attribute_table[1].key_strindex") == true)
        #expect(refusal { $0.dictionary.stringTable[0] = "x" } == "dictionary.string_table[0]: must be the empty string")
        #expect(refusal { $0.resourceProfiles[0].scopeProfiles[0].profiles[0].clearSampleType() }?.hasSuffix("sample type is missing") == true)
        #expect(refusal { $0.resourceProfiles = [] } == "resource_profiles: missing resource profiles")
        #expect(refusal { $0.clearDictionary() } == "dictionary: missing profile metadata dictionary")
        #expect(
            refusal { $0.resourceProfiles[0].scopeProfiles[0].profiles[0].samples[0].values = [.max, 1] }?.hasSuffix("the values sum past 64 bits")
                == true)
    }
}
