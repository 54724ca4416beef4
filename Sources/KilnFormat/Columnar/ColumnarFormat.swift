/// Constants and type tags of Kiln's columnar file format ("KCOL"), as
/// specified in docs/format/block.md. The names here are the spec's names.
public enum ColumnarFormat {
    /// First and last four bytes of every columnar file: "KCOL".
    public static let magic: [UInt8] = [0x4B, 0x43, 0x4F, 0x4C]
    /// The format version this code writes and reads.
    public static let version: UInt8 = 1
    /// magic (4) + version (1) + reserved (3).
    public static let headerSize = 8
    /// footer length (u32 LE) + footer CRC32C (u32 LE) + magic (4).
    public static let trailerSize = 12
    /// Values per bit-packing miniblock: small enough that a local outlier
    /// widens only its own 128 values, large enough that the 2–11 header bytes
    /// per miniblock stay under 1 bit per value.
    public static let miniblockSize = 128
    /// Largest footer a reader accepts (256 MiB): a bound on what a hostile
    /// trailer can make a reader allocate.
    public static let maxFooterLength = 256 << 20
}

/// The physical type of a column. Integers are stored as 64-bit patterns;
/// `int64` columns order and zig-zag their values as signed.
public enum ColumnType: UInt8, Sendable, CaseIterable {
    case uint64 = 1
    case int64 = 2
    case bytes = 3

    var isSigned: Bool { self == .int64 }
}

/// How a page's values are laid out before compression (docs/format/block.md, "Encodings").
public enum ColumnEncoding: UInt8, Sendable, CaseIterable {
    /// 8-byte little-endian integers; length-prefixed byte strings.
    case plain = 0
    /// LEB128 (`uint64`) or zig-zag LEB128 (`int64`).
    case varint = 1
    /// First value, then bit-packed deltas per miniblock: sorted or slowly
    /// changing columns (timestamps, offsets).
    case deltaBitPacked = 2
    /// Per miniblock: minimum, common divisor and bit width, then
    /// `(v − min) / gcd` bit-packed: ids from a narrow range, values that are
    /// multiples of a sampling period.
    case frameOfReference = 3
    /// Runs of (value, length): long runs of one value (series refs of rows
    /// sorted by series).
    case runLength = 4
}

/// The compression of a stored page body.
public enum PageCodec: UInt8, Sendable, CaseIterable {
    case none = 0
    /// LZ4 block format; the header's raw size is the decompressed size. Hot blocks.
    case lz4 = 1
    /// One zstd frame. Cold (compacted) blocks.
    case zstd = 2

    public var name: String {
        switch self {
        case .none: "none"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}
