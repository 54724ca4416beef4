/// The checks that make `ArrowArray`'s accessors safe: run once per
/// decoded array, O(length) each.
enum ArrowValidation {
    static func check(_ a: ArrowArray, offset: Int) throws(ArrowReadError) {
        let n = a.length
        let name = a.field.name
        func fail(_ reason: String) -> ArrowReadError { ArrowReadError(offset: offset, "field \(name): \(reason)") }
        func need(_ buffer: Int, _ bytes: Int) throws(ArrowReadError) {
            guard a.buffers[buffer].count >= bytes else {
                throw fail("buffer \(buffer) holds \(a.buffers[buffer].count) bytes, \(n) entries need \(bytes)")
            }
        }
        if let v = a.validity, v.count < (n + 7) / 8 { throw fail("validity bitmap of \(v.count) bytes for \(n) entries") }
        if a.validity == nil && a.nullCount > 0 && a.field.type != .null && a.field.type != .runEndEncoded {
            throw fail("\(a.nullCount) nulls without a validity bitmap")
        }
        if let d = a.field.dictionary {
            try need(0, n * d.indexBitWidth / 8)
            return
        }
        switch a.field.type {
        case .null, .structure: break
        case .bool: try need(0, (n + 7) / 8)
        case .int(let w, _): try need(0, n * w / 8)
        case .timestamp: try need(0, n * 8)
        case .fixedSizeBinary(let w): try need(0, n * w)
        case .binary, .utf8:
            try need(0, n == 0 ? 0 : 4 * (n + 1))
            try monotonic(a, width: 4, count: n, limit: a.buffers[1].count, fail)
        case .largeBinary, .largeUtf8:
            try need(0, n == 0 ? 0 : 8 * (n + 1))
            try monotonic(a, width: 8, count: n, limit: a.buffers[1].count, fail)
        case .binaryView, .utf8View:
            try need(0, 16 * n)
            for i in 0..<n where !a.isNull(i) {
                let v = 16 * i
                let length = Int(Int32(bitPattern: LittleEndian.u32(a.buffers[0], v)))
                guard length >= 0 else { throw fail("view \(i) has length \(length)") }
                guard length > ArrowArray.inlineViewBytes else { continue }
                let buffer = Int(Int32(bitPattern: LittleEndian.u32(a.buffers[0], v + 8)))
                let start = Int(Int32(bitPattern: LittleEndian.u32(a.buffers[0], v + 12)))
                guard buffer >= 0, buffer < a.buffers.count - 1, start >= 0, start + length <= a.buffers[1 + buffer].count else {
                    throw fail("view \(i) (\(length) bytes at \(start) of data buffer \(buffer)) lies outside its buffers")
                }
            }
        case .list:
            try need(0, n == 0 ? 0 : 4 * (n + 1))
            try monotonic(a, width: 4, count: n, limit: a.children[0].length, fail)
        case .largeList:
            try need(0, n == 0 ? 0 : 8 * (n + 1))
            try monotonic(a, width: 8, count: n, limit: a.children[0].length, fail)
        case .listView, .largeListView:
            let w = a.field.type == .listView ? 4 : 8
            try need(0, w * n)
            try need(1, w * n)
            let limit = Int64(a.children[0].length)
            for i in 0..<n where !a.isNull(i) {
                let start = signed(a.buffers[0], width: w, i)
                let size = signed(a.buffers[1], width: w, i)
                guard start >= 0, size >= 0, start <= limit, size <= limit - start else {
                    throw fail("list view \(i) (\(size) entries at \(start)) lies outside its \(limit) child entries")
                }
            }
        case .runEndEncoded:
            let ends = a.children[0]
            guard case .int(let w, true) = ends.field.type, w >= 16, ends.field.dictionary == nil else {
                throw fail("run ends are not Int16, Int32 or Int64")
            }
            guard ends.nullCount == 0, a.children[1].length >= ends.length else { throw fail("run ends have nulls or outnumber the values") }
            guard n == 0 || ends.length > 0 else { throw fail("\(n) entries but no runs") }
            var previous: Int64 = 0
            for i in 0..<ends.length {
                let e = ends.int(i)
                guard e > previous else { throw fail("run end \(i) (\(e)) does not increase") }
                previous = e
            }
            guard n == 0 || previous >= Int64(n) else { throw fail("runs end at \(previous), before the \(n) entries") }
        }
        if a.field.type == .structure {
            for c in a.children where c.length < n { throw fail("child \(c.field.name) has \(c.length) entries, fewer than \(n)") }
        }
    }

    /// Offsets `0...count` of buffer 0 are non-negative, non-decreasing and end within `limit`.
    static func monotonic(
        _ a: ArrowArray, width: Int, count: Int, limit: Int, _ fail: (String) -> ArrowReadError
    ) throws(ArrowReadError) {
        guard count > 0 else { return }
        var previous: Int64 = 0
        for i in 0...count {
            let o = signed(a.buffers[0], width: width, i)
            guard o >= previous || (i == 0 && o >= 0) else { throw fail("offset \(i) (\(o)) decreases or is negative") }
            previous = o
        }
        guard previous <= Int64(limit) else { throw fail("offsets end at \(previous), past the \(limit) bytes or entries they index") }
    }

    /// Entry `i` of a buffer of signed 4- or 8-byte offsets or sizes, as Int64.
    static func signed(_ buffer: [UInt8], width: Int, _ i: Int) -> Int64 {
        width == 4 ? Int64(Int32(bitPattern: LittleEndian.u32(buffer, 4 * i))) : Int64(bitPattern: LittleEndian.u64(buffer, 8 * i))
    }

    /// Every valid index of every dictionary-encoded array in `a` (and in the
    /// dictionaries it reaches) is below its dictionary's length.
    static func dictionaryIndices(_ a: ArrowArray, _ dictionaries: [Int64: ArrowArray], offset: Int, depth: Int) throws(ArrowReadError) {
        guard depth < ArrowStreamReader.maxDepth else {
            throw ArrowReadError(offset: offset, "dictionaries nest deeper than \(ArrowStreamReader.maxDepth)")
        }
        if let d = a.field.dictionary {
            guard let values = dictionaries[d.id] else {
                throw ArrowReadError(offset: offset, "field \(a.field.name): dictionary \(d.id) was not sent before the record batch")
            }
            for i in 0..<a.length where !a.isNull(i) {
                let index = a.int(i)
                guard index >= 0, index < Int64(values.length) else {
                    throw ArrowReadError(
                        offset: offset, "field \(a.field.name): index \(index) at row \(i) is outside dictionary \(d.id) of \(values.length)")
                }
            }
            try dictionaryIndices(values, dictionaries, offset: offset, depth: depth + 1)
        }
        for c in a.children { try dictionaryIndices(c, dictionaries, offset: offset, depth: depth + 1) }
    }
}
