import FuzzSupport
import KilnPprof

/// libFuzzer entry point: decodes arbitrary bytes as pprof (gzip or raw).
///
/// Invariants checked: the decoder never crashes or traps, whatever the input;
/// a profile it accepts re-encodes to bytes that decode to the same profile.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPprofDecode(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // 1 MiB keeps a decompression bomb from dominating the run.
    guard let profile = try? PprofDecoder.decode(bytes, maxDecompressedBytes: 1 << 20) else { return 0 }
    let again: Profile
    do {
        again = try PprofDecoder.decodeRaw(PprofEncoder.encode(profile))
    } catch {
        fatalError("re-encoded profile does not decode: \(error)")
    }
    precondition(again == profile, "decode(encode(p)) != p")
    return 0
}

/// The entry point SwiftPM links (see `runLibFuzzer`).
@_cdecl("FuzzPprofDecode_main")
func fuzzerEntryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzPprofDecode)
}
