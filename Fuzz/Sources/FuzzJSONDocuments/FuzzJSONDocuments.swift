import FuzzSupport
import KilnStorage

/// libFuzzer entry point: reads arbitrary bytes as each of Kiln's JSON
/// documents: a block's `meta.json` (docs/format/block.md), a data
/// directory's `ingester.json` and a bucket lease (docs/format/ownership.md),
/// a tenant's settings (docs/format/settings.md).
///
/// Invariants checked: no input crashes a reader; what a reader accepts
/// survives an encode/decode round trip unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONDocuments(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    if let meta = try? BlockMeta.decode(bytes, path: "fuzz") {
        guard let again = try? BlockMeta.decode(meta.encoded(), path: "fuzz") else { preconditionFailure("an encoded meta.json does not decode") }
        precondition(again == meta, "meta.json round trip changed it")
    }
    if let identity = try? IngesterIdentity.decode(bytes, path: "fuzz") {
        guard let again = try? IngesterIdentity.decode(identity.encoded(), path: "fuzz") else {
            preconditionFailure("an encoded identity does not decode")
        }
        precondition(again == identity, "identity round trip changed it")
    }
    if let settings = try? TenantSettingsDocument.decode(bytes, path: "fuzz") {
        guard let again = try? TenantSettingsDocument.decode(settings.encoded(), path: "fuzz") else {
            preconditionFailure("an encoded settings document does not decode")
        }
        precondition(again == settings, "settings round trip changed it")
    }
    if let lease = IngesterLease.Record.decode(bytes) {
        precondition((try? lease.encoded()).flatMap(IngesterLease.Record.decode) == lease, "lease round trip changed it")
    }
    return 0
}

/// The entry point SwiftPM links (see `runLibFuzzer`).
@_cdecl("FuzzJSONDocuments_main")
func fuzzerEntryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzJSONDocuments)
}
