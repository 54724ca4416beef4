/// The fixed 68-byte header that starts every JFR chunk (docs/format/jfr.md §1).
/// All fields are big-endian; offsets are relative to the chunk's first byte.
public struct JFRChunkHeader: Sendable, Equatable {
    /// `FLR\0`.
    static let magic: [UInt8] = [0x46, 0x4C, 0x52, 0x00]
    static let size = 68
    /// Major versions this reader knows: 1 (JDK 9–10) and 2 (JDK 11+, async-profiler).
    static let majorVersions: ClosedRange<UInt16> = 1...2
    /// Bit 0 of the flags byte (offset 67): integers are varints.
    static let compressedIntegersFlag: UInt8 = 1

    public var major: UInt16
    public var minor: UInt16
    /// Bytes of the chunk, header included.
    public var chunkSize: Int
    public var constantPoolOffset: Int
    public var metadataOffset: Int
    /// Wall-clock start, Unix nanoseconds.
    public var startNanos: Int64
    public var durationNanos: Int64
    public var startTicks: Int64
    /// Tick frequency of event timestamps and durations.
    public var ticksPerSecond: Int64
    public var compressedIntegers: Bool

    /// Reads the header of the chunk at `at`.
    /// - Throws: `JFRError` for a wrong magic, an unknown version, or sizes
    ///   and offsets outside the bytes that follow.
    init(_ bytes: UnsafeRawBufferPointer, at: Int) throws(JFRError) {
        var c = JFRCursor(bytes, offset: at, end: bytes.count, compressed: false)
        guard c.remaining >= Self.size else {
            throw c.error("truncated chunk header: \(Self.size) bytes needed, \(c.remaining) left")
        }
        for m in Self.magic where try c.u8() != m {
            throw JFRError(offset: at, reason: "not a JFR chunk: the magic is not FLR\\0")
        }
        major = UInt16(try c.bigEndian(2))
        minor = UInt16(try c.bigEndian(2))
        guard Self.majorVersions.contains(major) else {
            throw JFRError(offset: at + 4, reason: "unsupported JFR version \(major).\(minor)")
        }
        func offsetField(_ name: String) throws(JFRError) -> Int {
            let position = c.offset
            let v = Int64(bitPattern: try c.bigEndian(8))
            guard v >= 0, v <= Int64(Int32.max) else { throw JFRError(offset: position, reason: "\(name) \(v) is out of range") }
            return Int(v)
        }
        chunkSize = try offsetField("chunk size")
        constantPoolOffset = try offsetField("constant pool offset")
        metadataOffset = try offsetField("metadata offset")
        startNanos = Int64(bitPattern: try c.bigEndian(8))
        durationNanos = Int64(bitPattern: try c.bigEndian(8))
        startTicks = Int64(bitPattern: try c.bigEndian(8))
        ticksPerSecond = Int64(bitPattern: try c.bigEndian(8))
        try c.skip(3)  // file state (generation) and two reserved bytes
        compressedIntegers = try c.u8() & Self.compressedIntegersFlag != 0

        guard chunkSize >= Self.size else {
            throw JFRError(offset: at + 8, reason: "chunk size \(chunkSize) is smaller than its header: the recording was not finished")
        }
        guard chunkSize <= bytes.count - at else {
            throw JFRError(offset: at + 8, reason: "truncated chunk: its header says \(chunkSize) bytes, \(bytes.count - at) follow")
        }
        guard (Self.size..<chunkSize).contains(metadataOffset) else {
            throw JFRError(offset: at + 24, reason: "metadata offset \(metadataOffset) is outside the chunk")
        }
        guard ticksPerSecond > 0 else { throw JFRError(offset: at + 56, reason: "ticks per second \(ticksPerSecond) is not positive") }
    }

    /// `ticks` of this chunk's clock in nanoseconds: exact for the usual
    /// 10⁹ Hz, rounded through `Double` (53 bits) otherwise, clamped to 64 bits.
    public func nanoseconds(ticks: Int64) -> Int64 {
        if ticksPerSecond == 1_000_000_000 { return ticks }
        let ns = Double(ticks) * 1e9 / Double(ticksPerSecond)
        if ns >= 9.2e18 { return .max }
        if ns <= -9.2e18 { return .min }
        return Int64(ns)
    }
}
