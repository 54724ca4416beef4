import FuzzSupport
import KilnModel

/// libFuzzer entry point: parses arbitrary text as a Prometheus label selector.
///
/// Invariants checked: the parser never crashes; an accepted selector can be
/// evaluated against label sets (compiled regexes run); a selector whose label
/// names are identifiers prints to text that parses back to the same matchers.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSelectorParse(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let selector = try? LabelSelector(parsing: text) else { return 0 }
    let sets = [
        LabelSet(),
        LabelSet(sortedUnique: [Label("__name__", "process_cpu"), Label("env", "prod"), Label("service_name", "api")]),
    ]
    for set in sets { _ = selector.matches(set) }
    let identifiers = selector.matchers.allSatisfy { m in
        m.name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
            && m.name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
    if identifiers {
        guard let reparsed = try? LabelSelector(parsing: selector.description) else {
            fatalError("printed selector \(selector.description) does not parse")
        }
        precondition(reparsed.matchers.map(\.description) == selector.matchers.map(\.description), "print/parse round trip differs")
    }
    return 0
}

/// The entry point SwiftPM links (see `runLibFuzzer`).
@_cdecl("FuzzSelectorParse_main")
func fuzzerEntryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzSelectorParse)
}
