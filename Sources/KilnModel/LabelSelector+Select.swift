extension LabelSelector {
    /// The refs (ascending) of the series this selector matches, among
    /// `0..<seriesCount`, given the series' postings and label sets: the
    /// selection shared by the head and blocks.
    ///
    /// Equality matchers with a non-empty value narrow the candidates through
    /// the postings (each list ascending); every matcher is then checked on
    /// each candidate, with the result cached per distinct label value
    /// (regexes run once per value, not once per series).
    /// - Complexity: O(candidates × matchers) plus one regex run per distinct value.
    public func select(seriesCount: Int, postings: (String, String) -> [UInt32], labels: (UInt32) -> LabelSet) -> [UInt32] {
        var candidates: [UInt32]?
        for m in matchers where m.op == .equal && !m.value.isEmpty {
            let list = postings(m.name, m.value)
            candidates = candidates.map { Self.intersect($0, list) } ?? list
            if candidates!.isEmpty { return [] }
        }
        let all = candidates ?? Array(0..<UInt32(seriesCount))
        var caches = [[String: Bool]](repeating: [:], count: matchers.count)
        return all.filter { ref in
            let set = labels(ref)
            for (i, m) in matchers.enumerated() {
                let value = set[m.name] ?? ""
                if let hit = caches[i][value] {
                    if !hit { return false }
                    continue
                }
                let ok = m.matches(value)
                caches[i][value] = ok
                if !ok { return false }
            }
            return true
        }
    }

    static func intersect(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                out.append(a[i])
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return out
    }
}
