import FuzzSupport
import KilnBytes
import KilnFormat

/// libFuzzer entry point: reads arbitrary bytes as a columnar (KCOL) file —
/// trailer, footer, page index — and decodes every page of every column;
/// then reads the same bytes as a lone page of each column type.
///
/// Invariants checked: no input crashes the footer or page decoders; a file
/// that opens from the whole buffer opens the same from a ranged tail; every
/// decoded page holds the rows the footer promised.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzColumnarFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    if let file = try? ColumnarFile(bytes: bytes) {
        if case .opened(let ranged)? = try? ColumnarFile.open(tail: bytes, fileSize: bytes.count) {
            precondition(ranged.footer == file.footer, "whole and ranged opening disagree")
        }
        for table in file.footer.tables {
            for column in table.columns.indices {
                for page in table.pages(column: column) {
                    guard let values = try? ColumnarFile.decodePage(bytes, at: page, type: table.columns[column].type) else { continue }
                    precondition(values.count == page.rows, "a page decoded to a different row count than its index says")
                }
            }
        }
    }
    for type in ColumnType.allCases {
        _ = try? bytes.withDecodableBytes { buffer throws(DecodeError) in
            var r = ByteReader(buffer)
            return try Page.decode(&r, type: type)
        }
    }
    return 0
}

/// The entry point SwiftPM links (see `runLibFuzzer`).
@_cdecl("FuzzColumnarFile_main")
func fuzzerEntryPoint(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzzColumnarFile)
}
