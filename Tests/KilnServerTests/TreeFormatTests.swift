import Foundation
import KilnProto
import KilnTestSupport
import Testing

/// `PROFILE_FORMAT_TREE`: Pyroscope's tree encoding of a merged flame graph,
/// read back by a decoder written from its description (depth first from a
/// virtual root; name, self, child count per node).
@Suite struct TreeFormatTests {
    /// The stacks of a tree: "a;b;c" → self value.
    static func decode(_ bytes: [UInt8]) throws -> [String: Int64] {
        var at = 0
        func uvarint() throws -> UInt64 {
            var v: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard at < bytes.count else { throw SubprocessError(message: "truncated tree at byte \(at)") }
                let b = bytes[at]
                at += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
            }
        }
        var out: [String: Int64] = [:]
        func node(_ path: [String]) throws {
            let n = Int(try uvarint())
            let name = String(decoding: bytes[at..<(at + n)], as: UTF8.self)
            at += n
            let selfValue = Int64(try uvarint())
            let children = Int(try uvarint())
            let here = path.isEmpty && name.isEmpty ? [] : path + [name]
            if selfValue > 0 { out[here.joined(separator: ";"), default: 0] += selfValue }
            for _ in 0..<children { try node(here) }
        }
        try node([])
        #expect(at == bytes.count, "the tree ends where its root's subtree does")
        return out
    }

    @Test func theTreeFormatHoldsTheFlameGraphsStacks() async throws {
        try await InProcessServer().run { client in
            try await client.push([([("__name__", "process_cpu"), ("service_name", "a")], [try TestData.bytes("pprof/go-cpu.pb.gz")])])
            var request = ConnectClient.flameGraphRequest(
                "process_cpu:cpu:nanoseconds:cpu:nanoseconds", "{}", start: ConnectClient.allTime.start, end: ConnectClient.allTime.end)
            request.format = .tree
            let r: Querier_V1_SelectMergeStacktracesResponse = try await client.call("/querier.v1.QuerierService/SelectMergeStacktraces", request)
            #expect(!r.hasFlamegraph)
            let stacks = try Self.decode([UInt8](r.tree))
            let graph = try await client.flameGraph("process_cpu:cpu:nanoseconds:cpu:nanoseconds")
            let nodes = try FlameGraphDecoder.decode(names: graph.names, levels: graph.levels.map(\.values))
            #expect(stacks.values.reduce(0, +) == graph.total && graph.total == 9_910_000_000)
            // Every stack's self value is the flame graph's.
            for (path, value) in stacks { #expect(nodes[path]?.selfValue == value, "\(path)") }
            // Truncated to 10 nodes: the rest folded into "other", totals kept.
            request.maxNodes = 10
            let small: Querier_V1_SelectMergeStacktracesResponse = try await client.call("/querier.v1.QuerierService/SelectMergeStacktraces", request)
            let few = try Self.decode([UInt8](small.tree))
            #expect(few.values.reduce(0, +) == graph.total && few.keys.contains { $0.hasSuffix("other") } && few.count < stacks.count)
        }
    }
}
