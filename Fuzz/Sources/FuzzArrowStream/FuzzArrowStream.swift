import FuzzSupport
import KilnArrow

/// libFuzzer entry point: reads arbitrary bytes as an Arrow IPC stream.
///
/// Invariants checked: the reader never crashes or traps, whatever the
/// input; an error names a byte inside the input; every array of an
/// accepted stream can be walked through its accessors (every entry, every
/// child, every dictionary value) without a trap, which is what the
/// reader's validation promises.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArrowStream(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let stream = try ArrowStreamReader.read(bytes, maxBytes: 64 << 20)
        for batch in stream.batches {
            for column in batch.columns {
                precondition(column.length == batch.length, "column \(column.field.name) has another length")
                walk(column, stream, depth: 0)
            }
        }
    } catch {
        precondition(error.offset >= 0 && error.offset <= size, "error offset \(error.offset) outside the input of \(size) bytes")
    }
    return 0
}

/// Touches every entry of `a` through the accessor its type reads with.
func walk(_ a: ArrowArray, _ stream: ArrowStreamReader.Stream, depth: Int) {
    precondition(depth < 64, "arrays nest without bound")
    if a.field.dictionary != nil {
        guard let values = stream.dictionary(of: a) else { preconditionFailure("accepted a reference to a missing dictionary") }
        for i in 0..<a.length where !a.isNull(i) { precondition(a.index(i) < values.length, "dictionary index out of range") }
        return
    }
    for i in 0..<a.length where !a.isNull(i) {
        switch a.field.type {
        case .bool: _ = a.bool(i)
        case .int, .timestamp: _ = a.int(i)
        case .binary, .utf8, .largeBinary, .largeUtf8, .binaryView, .utf8View, .fixedSizeBinary: _ = a.bytes(i)
        case .list, .largeList, .listView, .largeListView:
            let r = a.range(i)
            precondition(r.lowerBound >= 0 && r.upperBound <= a.children[0].length, "list entry outside its child")
        case .runEndEncoded: precondition(a.physicalIndex(i) < a.children[1].length, "run outside the values")
        case .null, .structure: break
        }
    }
    for c in a.children { walk(c, stream, depth: depth + 1) }
}

/// The entry point SwiftPM links (see `runLibFuzzer`).
@_cdecl("FuzzArrowStream_main")
func fuzzerEntryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzArrowStream)
}
