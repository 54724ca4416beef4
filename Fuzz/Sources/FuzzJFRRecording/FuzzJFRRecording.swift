import FuzzSupport
import KilnJFR

/// libFuzzer entry point: reads arbitrary bytes as a JFR recording.
///
/// Invariants checked: the reader never crashes or traps, whatever the
/// input; the chunks it accepts tile the input in order, each within it;
/// an error names a byte inside the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJFRRecording(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var next = 0
    do {
        try JFRRecording.forEachChunk(bytes) { chunk in
            precondition(chunk.offset == next, "chunk at \(chunk.offset), expected at \(next)")
            precondition(chunk.header.chunkSize > 0 && chunk.offset + chunk.header.chunkSize <= size, "chunk runs past the input")
            next = chunk.offset + chunk.header.chunkSize
        }
        precondition(next == size, "the chunks do not cover the input")
    } catch {
        precondition(error.offset >= 0 && error.offset <= size, "error offset \(error.offset) outside the input of \(size) bytes")
    }
    return 0
}

/// The entry point SwiftPM links (see `runLibFuzzer`).
@_cdecl("FuzzJFRRecording_main")
func fuzzerEntryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzJFRRecording)
}
