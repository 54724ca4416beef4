import Foundation
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

/// Kiln's own OTLP profiles `.proto` files (Sources/KilnProto/proto/opentelemetry,
/// opentelemetry-proto v1.9.0) against the wire of the real client package:
/// a request built by `opentelemetry-proto` (tools/e2e/otlp_profiles.py),
/// binary and in the protobuf JSON mapping, read by the generated types.
/// A field number or JSON name that differs from the clients' shows here.
@Suite struct OTLPWireTests {
    static func clientRequest() throws -> (proto: [UInt8], json: String) {
        let script = TestData.root.appendingPathComponent("tools/e2e/otlp_profiles.py").path
        let r = try Subprocess.run([PythonEnvironment.python, script])
        guard r.status == 0, let out = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String],
            let b64 = out["proto"], let proto = Data(base64Encoded: b64), let json = out["json"]
        else { throw SubprocessError(message: "otlp_profiles.py failed: \(r.stderr)") }
        return ([UInt8](proto), json)
    }

    static func check(_ r: Opentelemetry_Proto_Collector_Profiles_V1development_ExportProfilesServiceRequest) {
        let d = r.dictionary
        let s = d.stringTable
        #expect(s.count == 9 && s[3] == "main" && s[4] == "work")
        let resource = r.resourceProfiles.first?.resource.attributes.map { "\($0.key)=\($0.value.stringValue)\($0.value.intValue)" }
        #expect(resource == ["service.name=otlp-app0", "process.pid=42"])
        let scope = r.resourceProfiles.first?.scopeProfiles.first
        #expect(scope?.scope.name == "kiln-test")
        let p = scope?.profiles.first
        #expect(s[Int(p?.sampleType.typeStrindex ?? 0)] == "cpu" && s[Int(p?.sampleType.unitStrindex ?? 0)] == "nanoseconds")
        #expect(p?.period == 10_000_000 && p?.timeUnixNano == 1_700_000_000_000_000_000 && p?.durationNano == 10_000_000_000)
        #expect(p?.samples.map(\.values) == [[30_000_000], [10_000_000, 20_000_000]])
        #expect(p?.samples.last?.timestampsUnixNano == [1_700_000_001_000_000_000, 1_700_000_002_000_000_000])
        // Stacks are location indexes, leaf first; locations name functions through lines.
        let stack = d.stackTable[Int(p?.samples.first?.stackIndex ?? 0)].locationIndices
        let names = stack.flatMap { d.locationTable[Int($0)].lines.map { s[Int(d.functionTable[Int($0.functionIndex)].nameStrindex)] } }
        #expect(names == ["work", "main"])
        #expect(d.locationTable[2].address == 0x402000 && d.locationTable[2].lines.first?.line == 20)
        #expect(d.mappingTable[1].memoryStart == 0x400000 && s[Int(d.mappingTable[1].filenameStrindex)] == "/bin/app")
        let attribute = d.attributeTable[Int(p?.samples.first?.attributeIndices.first ?? 0)]
        #expect(s[Int(attribute.keyStrindex)] == "thread.name" && attribute.value.stringValue == "worker")
    }

    @Test func theClientsBinaryAndJSONReadAsSent() throws {
        let (proto, json) = try Self.clientRequest()
        Self.check(try Opentelemetry_Proto_Collector_Profiles_V1development_ExportProfilesServiceRequest(serializedBytes: proto))
        Self.check(try Opentelemetry_Proto_Collector_Profiles_V1development_ExportProfilesServiceRequest(jsonString: json))
    }
}
