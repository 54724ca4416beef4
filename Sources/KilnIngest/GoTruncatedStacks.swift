import KilnPprof

/// Pyroscope's repair of Go stacks the runtime cut at its depth limit
/// (`RepairGoTruncatedStacktraces`, applied to every Go profile on Push and
/// `/ingest`): a heap profile keeps at most 32 frames (Go < 1.23), a CPU
/// profile 64, so deep stacks lose their root-most frames, split what is one
/// call path into many flame graph roots, and multiply stack cardinality.
///
/// The heuristic, as Pyroscope applies it (so both store the same stacks):
/// samples at least `suffixLength` deep are grouped by their root-most
/// `suffixLength` locations; each group's suffix is cut into `tokens`
/// windows of `tokenLength` locations, each remembered with the group that
/// has it furthest from the root; a group whose top-most window is found
/// further from the root in another group is missing that many root-most
/// frames, copied from that group (following chains of such groups). Ties
/// go to the group whose suffix sorts first by the little-endian bytes of
/// its location ids, Pyroscope's order. The result is approximate by nature:
/// it guesses truncated frames from their neighbours.
enum GoTruncatedStacks {
    static let suffixLength = 24
    static let tokenLength = 16
    static let tokens = 8
    /// Chains longer than this mean deep recursion: the repair stops.
    static let maxChain = 56

    /// Whether `p`, a Go profile (`isGo`), may hold truncated stacks: a heap
    /// profile with a stack of 28 or more frames (Go cuts some 4 short of
    /// its limit) and none of 33 or more (Go 1.23+ keeps 128: nothing was
    /// cut at 32), or a CPU profile with one of 60 or more.
    static func mayBeTruncated(_ p: Profile) -> Bool {
        let types = Set(p.sampleTypes.map { p.strings[$0.type] })
        let minDepth: Int
        var maxDepth = Int.max
        if !types.isDisjoint(with: ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"]) {
            (minDepth, maxDepth) = (32 - 4, 33)
        } else if types.contains("cpu") {
            minDepth = 64 - 4
        } else {
            return false
        }
        var deepEnough = false
        let offsets = p.sampleLocationOffsets
        for i in 0..<p.sampleCount {
            let depth = Int(offsets[i + 1] - offsets[i])
            if depth >= maxDepth { return false }
            if depth >= minDepth { deepEnough = true }
        }
        return deepEnough
    }

    /// Pyroscope's guess of a profile's language (`GetLanguage`): the first
    /// string of the table that starts or ends with a language's marker
    /// decides; Go's are a `.go` suffix and the `/usr/local/go/` prefix.
    static let languageMarkers: [(go: Bool, prefix: Bool, marker: [UInt8])] = [
        (true, false, ".go"), (true, true, "/usr/local/go/"), (false, true, "java/"), (false, true, "sun/"), (false, false, ".rb"),
        (false, true, "gems/"), (false, true, "./node_modules/"), (false, false, ".js"), (false, true, "System."),
        (false, true, "Microsoft."), (false, false, ".py"), (false, false, "main.rs"), (false, false, "core.rs"),
    ].map { ($0.0, $0.1, Array($0.2.utf8)) }

    /// A Go profile, as Pyroscope decides it (`languageMarkers`).
    /// - Complexity: O(strings) until the first marked one.
    static func isGo(_ p: Profile) -> Bool {
        for i in 0..<p.strings.count {
            let s = p.strings.utf8(i)
            for m in languageMarkers where s.count >= m.marker.count {
                if m.prefix ? s.starts(with: m.marker) : s.suffix(m.marker.count).elementsEqual(m.marker) { return m.go }
            }
        }
        return false
    }

    /// Repairs `p`'s truncated stacks in place (see the type's description).
    /// - Complexity: O(samples × suffixLength × log samples) for the grouping.
    static func repair(_ p: inout Profile) {
        let ids = p.locations.map(\.id)
        var stacks: [[UInt32]] = (0..<p.sampleCount).map { Array(p.locations(ofSample: $0)) }
        // Samples deep enough, sorted by their suffix's bytes (ids little-endian, as Pyroscope compares them).
        func suffixKey(_ s: [UInt32]) -> ArraySlice<UInt32> { s[(s.count - suffixLength)...] }
        var deep = stacks.indices.filter { stacks[$0].count >= suffixLength }
        guard !deep.isEmpty else { return }
        deep.sort { a, b in
            for (x, y) in zip(suffixKey(stacks[a]), suffixKey(stacks[b])) where ids[Int(x)] != ids[Int(y)] {
                return ids[Int(x)].byteSwapped < ids[Int(y)].byteSwapped
            }
            return false
        }
        func sameIDs(_ a: ArraySlice<UInt32>, _ b: ArraySlice<UInt32>) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { ids[Int($0)] == ids[Int($1)] }
        }
        var groups: [Int] = []  // index into `deep` of each group's first sample
        for (k, s) in deep.enumerated() where k == 0 || !sameIDs(suffixKey(stacks[s]), suffixKey(stacks[deep[k - 1]])) {
            groups.append(k)
        }
        func first(_ g: Int) -> [UInt32] { stacks[deep[groups[g]]] }
        func idWindow(_ s: ArraySlice<UInt32>) -> [UInt64] { s.map { ids[Int($0)] } }

        struct Candidate {
            var group: Int  // 1-based; 0: none
            var offset: Int
        }
        var byToken: [[UInt64]: Candidate] = [:]
        for g in groups.indices {
            let s = suffixKey(first(g))
            let base = s.startIndex
            for j in 1...tokens {
                let hi = base + suffixLength - j
                let token = idWindow(s[(hi - tokenLength)..<hi])
                if let c = byToken[token], j <= c.offset { continue }
                byToken[token] = Candidate(group: g + 1, offset: j)
            }
        }
        var next = [Candidate](repeating: Candidate(group: 0, offset: 0), count: groups.count)
        for g in groups.indices {
            let s = first(g)
            guard let c = byToken[idWindow(s[(s.count - tokenLength)...])], c.group - 1 != g else { continue }
            next[g] = c
        }
        for g in groups.indices {
            var c = next[g]
            var offset = 0
            var chain = 0
            while c.group > 0 && c.offset > 0 {
                offset += c.offset
                let n = next[c.group - 1]
                if n.group == 0 { break }
                c = n
                chain += 1
                if chain == maxChain { return write(stacks, into: &p) }
            }
            guard offset > 0 else { continue }
            let reference = first(c.group - 1)
            guard offset < reference.count else { continue }
            let missing = reference[(reference.count - offset)...]
            let end = g + 1 < groups.count ? groups[g + 1] : deep.count
            for k in groups[g]..<end { stacks[deep[k]] += missing }
        }
        write(stacks, into: &p)
    }

    private static func write(_ stacks: [[UInt32]], into p: inout Profile) {
        var locations: [UInt32] = []
        var offsets: [UInt32] = [0]
        locations.reserveCapacity(stacks.reduce(0) { $0 + $1.count })
        for s in stacks {
            locations += s
            offsets.append(UInt32(locations.count))
        }
        p.sampleLocations = locations
        p.sampleLocationOffsets = offsets
    }
}
