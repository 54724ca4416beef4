import KilnPprof

/// Pyroscope's `DropGoTypeParameters`, the first of its fixes for Go
/// profiles: since Go 1.21 a generic function's name carries the type
/// parameters of whichever instance the runtime saw (`x[go.shape.int].foo`),
/// regardless of the call site, so instances cannot be told apart and only
/// multiply nodes. `[go.shape.` up to the name's last `]` becomes `[...]`.
enum GoTypeParameters {
    static let marker = Array("[go.shape.".utf8)

    /// `name` with its type parameters dropped, or nil when it has none.
    static func dropped(_ name: ArraySlice<UInt8>) -> String? {
        guard name.count > marker.count, name.contains(marker[0]) else { return nil }
        let b = Array(name)
        guard
            let start = (0...(b.count - marker.count)).first(where: { b[$0..<($0 + marker.count)].elementsEqual(marker) }),
            let end = b.lastIndex(of: UInt8(ascii: "]")), end > start
        else { return nil }
        return String(decoding: b[..<start], as: UTF8.self) + "[...]" + String(decoding: b[(end + 1)...], as: UTF8.self)
    }

    /// Renames the functions of `p`, a Go profile (`GoTruncatedStacks.isGo`).
    /// - Complexity: O(bytes of the function names).
    static func drop(_ p: inout Profile) {
        var renamed: [Int64: Int64] = [:]
        func rename(_ s: Int64) -> Int64 {
            if let r = renamed[s] { return r }
            // Bytes first: no String is made for the names without the marker, nearly all.
            let r = dropped(p.strings.utf8(Int(s))).map { p.strings.append($0) } ?? s
            renamed[s] = r
            return r
        }
        for i in p.functions.indices {
            p.functions[i].name = rename(p.functions[i].name)
            p.functions[i].systemName = rename(p.functions[i].systemName)
        }
    }
}
