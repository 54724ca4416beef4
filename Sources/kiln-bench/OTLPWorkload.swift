import Foundation
import KilnOTLP
import KilnPprof
import KilnProto

/// The real Go profiles re-expressed as OTLP export requests, so OTLP's
/// ingest figures are measured on the very samples pprof's are: one OTLP
/// profile per pprof sample type (OTLP profiles carry one), over one shared
/// dictionary per request (strings, mappings, functions, locations, one
/// stack per sample), sample labels as attributes.
enum OTLPWorkload {
    static func request(_ p: Profile, service: String) -> OTLPProfiles.Request {
        typealias D = Opentelemetry_Proto_Profiles_V1development_ProfilesDictionary
        var d = D()
        d.stringTable = (0..<p.strings.count).map { p.strings[$0] }
        d.mappingTable = [.init()]
        for m in p.mappings {
            var o = Opentelemetry_Proto_Profiles_V1development_Mapping()
            (o.memoryStart, o.memoryLimit, o.fileOffset, o.filenameStrindex) = (m.memoryStart, m.memoryLimit, m.fileOffset, Int32(m.filename))
            d.mappingTable.append(o)
        }
        d.functionTable = [.init()]
        for f in p.functions {
            var o = Opentelemetry_Proto_Profiles_V1development_Function()
            (o.nameStrindex, o.systemNameStrindex, o.filenameStrindex, o.startLine) = (
                Int32(f.name), Int32(f.systemName), Int32(f.filename), f.startLine
            )
            d.functionTable.append(o)
        }
        d.locationTable = [.init()]
        for (i, l) in p.locations.enumerated() {
            var o = Opentelemetry_Proto_Profiles_V1development_Location()
            o.mappingIndex = l.mappingIndex == Location.noMapping ? 0 : Int32(l.mappingIndex) + 1
            o.address = l.address
            o.lines = p.lines(ofLocation: i).map { line in
                var ol = Opentelemetry_Proto_Profiles_V1development_Line()
                (ol.functionIndex, ol.line) = (Int32(line.functionIndex) + 1, line.line)
                return ol
            }
            d.locationTable.append(o)
        }
        d.stackTable = [.init()]
        d.attributeTable = [.init()]
        var attributes: [String: Int32] = [:]
        var samples: [Opentelemetry_Proto_Profiles_V1development_Sample] = []
        for i in 0..<p.sampleCount {
            var stack = Opentelemetry_Proto_Profiles_V1development_Stack()
            stack.locationIndices = p.locations(ofSample: i).map { Int32($0) + 1 }
            d.stackTable.append(stack)
            var s = Opentelemetry_Proto_Profiles_V1development_Sample()
            s.stackIndex = Int32(d.stackTable.count - 1)
            for l in p.labels(ofSample: i) where l.str != 0 {
                let key = "\(l.key)=\(l.str)"
                if attributes[key] == nil {
                    var a = Opentelemetry_Proto_Profiles_V1development_KeyValueAndUnit()
                    a.keyStrindex = Int32(l.key)
                    a.value.stringValue = p.strings[l.str]
                    attributes[key] = Int32(d.attributeTable.count)
                    d.attributeTable.append(a)
                }
                s.attributeIndices.append(attributes[key]!)
            }
            samples.append(s)
        }
        var scope = Opentelemetry_Proto_Profiles_V1development_ScopeProfiles()
        for (t, type) in p.sampleTypes.enumerated() {
            var o = Opentelemetry_Proto_Profiles_V1development_Profile()
            o.sampleType.typeStrindex = Int32(type.type)
            o.sampleType.unitStrindex = Int32(type.unit)
            if let pt = p.periodType {
                o.periodType.typeStrindex = Int32(pt.type)
                o.periodType.unitStrindex = Int32(pt.unit)
            }
            o.period = p.period
            o.timeUnixNano = UInt64(max(p.timeNanos, 1))
            o.durationNano = UInt64(max(p.durationNanos, 0))
            o.samples = samples.enumerated().map { i, s in
                var s = s
                s.values = [p.value(ofSample: i, type: t)]
                return s
            }
            scope.profiles.append(o)
        }
        var resource = Opentelemetry_Proto_Profiles_V1development_ResourceProfiles()
        var name = Opentelemetry_Proto_Common_V1_KeyValue()
        name.key = "service.name"
        name.value.stringValue = service
        resource.resource.attributes = [name]
        resource.scopeProfiles = [scope]
        var r = OTLPProfiles.Request()
        r.dictionary = d
        r.resourceProfiles = [resource]
        return r
    }
}
