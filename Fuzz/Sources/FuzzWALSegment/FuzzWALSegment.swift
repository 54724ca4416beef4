import FuzzSupport
import KilnFormat
import KilnHead

/// libFuzzer entry point: reads arbitrary bytes as a WAL segment, decodes
/// every record and replays ingest records into a scratch head.
///
/// Invariants checked: the segment reader, the record decoder and replay
/// validation never crash, whatever the bytes; a record that decodes,
/// re-encoded and decoded again, is the same record.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWALSegment(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    guard var reader = try? WALSegmentReader(raw) else { return 0 }
    var head = HeadState()
    while let record = try? reader.next() {
        guard let decoded = try? WALRecord.decode(record, in: raw) else { break }
        let again = WALFrame.segmentHeader + decoded.framed()
        again.withUnsafeBytes { bytes in
            guard var r = try? WALSegmentReader(bytes), let rec = try? r.next(), let redecoded = try? WALRecord.decode(rec, in: bytes) else {
                fatalError("a re-encoded record does not read back")
            }
            precondition(redecoded == decoded, "decode/encode/decode round trip differs")
        }
        if case .ingest(let r) = decoded {
            do { try head.apply(r) } catch { break }
        }
    }
    return 0
}

/// The entry point SwiftPM links (see `runLibFuzzer`).
@_cdecl("FuzzWALSegment_main")
func fuzzerEntryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzWALSegment)
}
