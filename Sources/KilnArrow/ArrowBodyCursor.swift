import KilnCompression

extension ArrowStreamReader {
    /// Walks a record batch's field nodes, buffers and variadic counts in
    /// order, cutting each buffer from the body and inflating it when the
    /// batch is compressed.
    struct BodyCursor {
        let fb: FlatBufferReader
        let nodes: (count: Int, start: Int)
        let buffers: (count: Int, start: Int)
        let variadic: (count: Int, start: Int)
        /// The message body in the stream.
        let body: Range<Int>
        let codec: UInt8?
        var nextNode = 0
        var nextBuffer = 0
        var nextVariadic = 0

        mutating func node() throws(ArrowReadError) -> (length: Int, nullCount: Int) {
            guard nextNode < nodes.count else { throw fb.error(nodes.start, "record batch has fewer field nodes than its fields") }
            let at = nodes.start + 16 * nextNode
            nextNode += 1
            let length = try fb.i64(at)
            let nulls = try fb.i64(at + 8)
            guard length >= 0, length <= Int32.max, nulls >= 0, nulls <= length else {
                throw fb.error(at, "field node of length \(length) with \(nulls) nulls is out of range")
            }
            return (Int(length), Int(nulls))
        }

        mutating func variadicCount() throws(ArrowReadError) -> Int {
            guard nextVariadic < variadic.count else { throw fb.error(variadic.start, "record batch lacks a variadic buffer count for a view field") }
            let n = try fb.i64(variadic.start + 8 * nextVariadic)
            nextVariadic += 1
            guard n >= 0, n <= buffers.count else { throw fb.error(variadic.start, "variadic buffer count \(n) is out of range") }
            return Int(n)
        }

        /// The next buffer's bytes, inflated.
        mutating func buffer(_ reader: inout ArrowStreamReader) throws(ArrowReadError) -> [UInt8] {
            guard nextBuffer < buffers.count else { throw fb.error(buffers.start, "record batch has fewer buffers than its fields need") }
            let at = buffers.start + 16 * nextBuffer
            nextBuffer += 1
            let offset = try fb.i64(at)
            let length = try fb.i64(at + 8)
            guard offset >= 0, length >= 0, offset <= Int64(body.count), length <= Int64(body.count) - offset else {
                throw fb.error(at, "buffer at \(offset) of \(length) bytes lies outside the body of \(body.count) bytes")
            }
            let start = body.lowerBound + Int(offset)
            let raw = reader.bytes[start..<(start + Int(length))]
            guard let codec, !raw.isEmpty else {
                try reader.charge(raw.count, at: start)
                return Array(raw)
            }
            guard raw.count >= 8 else { throw ArrowReadError(offset: start, "compressed buffer of \(raw.count) bytes lacks its length prefix") }
            let declared = Int64(bitPattern: LittleEndian.u64(Array(raw.prefix(8)), 0))
            let payload = Array(raw.dropFirst(8))
            // -1: this buffer was left uncompressed.
            if declared == -1 {
                try reader.charge(payload.count, at: start)
                return payload
            }
            guard declared >= 0, declared <= Int64(reader.maxBytes) else {
                throw ArrowReadError(offset: start, "compressed buffer declares \(declared) bytes, out of range")
            }
            try reader.charge(Int(declared), at: start)
            do {
                return codec == ArrowStreamReader.lz4Frame
                    ? try LZ4Frame.decompress(payload, decompressedSize: Int(declared))
                    : try Zstd.decompress(payload, decompressedSize: Int(declared))
            } catch {
                throw ArrowReadError(offset: start + 8, "buffer does not inflate: \(error)")
            }
        }
    }
}
