/// A pprof string table stored as byte ranges in one buffer.
///
/// Decoding a profile creates no `String`s: they are materialised on demand by
/// the subscript, which costs one allocation per call (strings of up to 15
/// UTF-8 bytes are stored inline by Swift and allocate nothing).
public struct StringTable: Sendable, Equatable {
    /// The UTF-8 bytes of every string, concatenated.
    public private(set) var bytes: [UInt8] = []
    /// End offset of string `i` in `bytes`; its start is `ends[i - 1]` (0 for `i == 0`).
    public private(set) var ends: [UInt32] = []

    public init() {}

    public init(_ strings: [String]) {
        for s in strings { append(s) }
    }

    public var count: Int { ends.count }

    /// The bytes of string `i`.
    @inlinable
    public func utf8(_ i: Int) -> ArraySlice<UInt8> {
        bytes[(i == 0 ? 0 : Int(ends[i - 1]))..<Int(ends[i])]
    }

    /// String `i`, decoded as UTF-8 (invalid sequences are replaced, never rejected).
    public subscript(_ i: Int) -> String { String(decoding: utf8(i), as: UTF8.self) }
    public subscript(_ i: Int64) -> String { self[Int(i)] }

    /// Appends a string and returns its index.
    @discardableResult
    public mutating func append(_ s: String) -> Int64 {
        bytes.append(contentsOf: s.utf8)
        ends.append(UInt32(bytes.count))
        return Int64(ends.count - 1)
    }

    /// Appends raw UTF-8 bytes and returns their index.
    @discardableResult
    public mutating func append(utf8 s: UnsafeBufferPointer<UInt8>) -> Int64 {
        bytes.append(contentsOf: s)
        ends.append(UInt32(bytes.count))
        return Int64(ends.count - 1)
    }

    mutating func reserve(bytes n: Int) { bytes.reserveCapacity(n) }

    /// The index of the first string that is not valid UTF-8, or nil.
    ///
    /// pprof's strings are protobuf `string`s, which must be UTF-8; a
    /// stored invalid one would reach every strict reader of Kiln's answers.
    /// Cost: one pass over `bytes`; a String is built only for a string
    /// with a non-ASCII byte.
    public func firstInvalidUTF8() -> Int? {
        var start = 0
        for (i, end) in ends.enumerated() {
            let s = bytes[start..<Int(end)]
            if s.contains(where: { $0 >= 0x80 }), String(validating: s, as: UTF8.self) == nil { return i }
            start = Int(end)
        }
        return nil
    }
}
