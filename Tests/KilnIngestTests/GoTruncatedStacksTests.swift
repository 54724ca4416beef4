import KilnIngest
import KilnModel
import KilnPprof
import KilnTestSupport
import Testing

/// Pyroscope's repairs of Go profiles on the project's own heap profile
/// (testdata/pprof/deepheap: chains 20 to 44 functions deep, which Go 1.19
/// cut at 32 frames) and its type-parameter renaming.
@Suite struct GoTruncatedStacksTests {
    static let labels = [Label("__name__", "memory"), Label("service_name", "deep")]

    /// Function names of each sample, leaf first.
    static func stacks(_ p: Profile) -> [[String]] {
        (0..<p.sampleCount).map { i in
            p.locations(ofSample: i).flatMap { l in p.lines(ofLocation: Int(l)).map { p.strings[p.functions[Int($0.functionIndex)].name] } }
        }
    }

    /// Whether `s` is a whole chain: main.alloc, f_k, …, f0, main.main, runtime.main.
    static func isWholeChain(_ s: [String]) -> Bool {
        guard s.first == "main.alloc", s.suffix(2) == ["main.main", "runtime.main"] else { return false }
        let chain = s.dropFirst().dropLast(2)
        return chain.enumerated().allSatisfy { $0.element == "main.f\(chain.count - 1 - $0.offset)" }
    }

    @Test func truncatedHeapStacksAreReRootedUnderTheirWholeNeighbours() throws {
        let bytes = try TestData.bytes("pprof/go-heap-truncated.pb.gz")
        let sent = try PprofDecoder.decode(bytes)
        let sentAlloc = Self.stacks(sent).filter { $0.first == "main.alloc" }
        // As sent: the chains deeper than 28 functions lost their root-most frames.
        #expect(sentAlloc.contains { $0.count == 32 && !Self.isWholeChain($0) })
        #expect(Set(sentAlloc.filter(Self.isWholeChain).map(\.count)) == [24, 26, 30], "chains 20, 22 and 26 deep fit in 32 frames")

        let stored = try PushConverter.convert(labels: Self.labels, rawProfile: bytes, id: "", nowNanos: 0).profile
        let storedAlloc = Self.stacks(stored).filter { $0.first == "main.alloc" }
        #expect(storedAlloc.count == sentAlloc.count)
        #expect(
            storedAlloc.allSatisfy(Self.isWholeChain), "every chain is whole again: \(storedAlloc.filter { !Self.isWholeChain($0) }.map(\.count))")
        #expect(Set(storedAlloc.map(\.count)) == Set([20, 22, 26, 30, 34, 38, 44].map { $0 + 4 }))
        // Values are untouched.
        for t in 0..<stored.sampleTypes.count { #expect(stored.total(ofType: t) == sent.total(ofType: t)) }
        // /ingest repairs too.
        let (ct, body) = MultipartBody.make([("profile", "profile.pprof", bytes)])
        let ingested = try IngestConverter.convert(
            try IngestRequest(query: ["name": "deep", "spyName": "gospy"], nowNanos: 0), contentType: ct, body: body)
        #expect(Self.stacks(try #require(ingested.first).profile).filter { $0.first == "main.alloc" }.allSatisfy(Self.isWholeChain))
    }

    @Test func profilesThatCannotBeTruncatedAreLeftAlone() throws {
        // A CPU profile's limit is 64 frames: go-cpu's stacks are all shorter.
        let bytes = try TestData.bytes("pprof/go-cpu.pb.gz")
        let sent = try PprofDecoder.decode(bytes)
        let stored = try PushConverter.convert(
            labels: [Label("__name__", "process_cpu"), Label("service_name", "cpu")], rawProfile: bytes, id: "", nowNanos: 0
        ).profile
        #expect(stored.sampleLocations == sent.sampleLocations)
    }

    @Test func goTypeParametersAreDropped() throws {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        b.addSample(stack: ["main.main", "main.Map[go.shape.int,go.shape.string].Get"], values: [10_000_000])
        b.addSample(stack: ["main.main", "main.Map[go.shape.string,go.shape.int].Get"], values: [10_000_000])
        var p = b.build(timeNanos: 1_700_000_000_000_000_000, durationNanos: 10_000_000_000)
        // A Go profile: its functions are in .go files.
        let file = p.strings.append("main.go")
        for i in p.functions.indices { p.functions[i].filename = file }
        let stored = try PushConverter.convert(
            labels: [Label("__name__", "process_cpu"), Label("service_name", "generic")], rawProfile: PprofEncoder.encode(p), id: "",
            nowNanos: 0
        ).profile
        #expect(Set(Self.stacks(stored).map { $0[0] }) == ["main.Map[...].Get"])
    }
}
