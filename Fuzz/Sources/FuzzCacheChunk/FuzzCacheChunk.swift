import FuzzSupport
import KilnBytes
import KilnFormat

/// libFuzzer entry point: reads arbitrary bytes as a cache chunk file
/// (docs/format/cache.md), whole and as a header prefix.
///
/// Invariants checked: no input crashes either decoder; a chunk that decodes
/// whole has the header its prefix decodes to, a payload of the length and
/// CRC the header says, and survives an encode/decode round trip.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCacheChunk(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    let header = try? CacheChunk.decodeHeader(Array(bytes.prefix(CacheChunk.maxHeaderBytes)))
    if let (h, payload) = try? CacheChunk.decode(bytes) {
        precondition(header == h, "whole and prefix headers disagree")
        precondition(payload.count == h.payloadLength && CRC32C.checksum(payload) == h.crc32c, "payload does not match its header")
        guard let again = try? CacheChunk.decode(CacheChunk.encode(key: h.key, index: h.index, payload: payload)) else {
            preconditionFailure("an encoded chunk does not decode")
        }
        precondition(again.header.key == h.key && again.header.index == h.index && again.payload == payload, "round trip changed the chunk")
    }
    return 0
}

/// The entry point SwiftPM links (see `runLibFuzzer`).
@_cdecl("FuzzCacheChunk_main")
func fuzzerEntryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzCacheChunk)
}
