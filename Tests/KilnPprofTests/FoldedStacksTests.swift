import KilnPprof
import KilnTestSupport
import Testing

@Suite struct FoldedStacksTests {
    @Test func parsesFolded() throws {
        let text = "a;b;c 12\nmain 3\r\nno-count-line\n\nx;y 0\nfn with spaces;leaf 5\n"
        let stacks = try FoldedStacks.parseFolded(Array(text.utf8))
        #expect(
            stacks == [
                FoldedStack(frames: ["a", "b", "c"], value: 12),
                FoldedStack(frames: ["main"], value: 3),
                FoldedStack(frames: ["x", "y"], value: 0),
                FoldedStack(frames: ["fn with spaces", "leaf"], value: 5),
            ])
    }

    @Test func badCountNamesTheLine() {
        do {
            _ = try FoldedStacks.parseFolded(Array("a;b 1\nc;d x2\n".utf8))
            Issue.record("parsed")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.contains("x2"))
        }
    }

    @Test func parsesRealPySpyOutput() throws {
        let stacks = try FoldedStacks.parseFolded(TestData.bytes("folded/py-spy-0.4.3-raw-threads-idle-nolineno.folded"))
        #expect(!stacks.isEmpty)
        #expect(stacks.allSatisfy { $0.value > 0 && !$0.frames.isEmpty })
        #expect(stacks.contains { $0.frames.first?.hasPrefix("thread (") == true })
    }

    @Test func parsesLinesCountingDuplicates() {
        let stacks = FoldedStacks.parseLines(Array("a;b\nc\na;b\n\na;b\n".utf8))
        #expect(stacks == [FoldedStack(frames: ["a", "b"], value: 3), FoldedStack(frames: ["c"], value: 1)])
    }

    @Test func builderMakesAValidProfile() throws {
        var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
        b.addSample(stack: ["main", "a", "b"], values: [30])
        b.addSample(stack: ["main", "a"], values: [20], labels: [("span_id", "abc")])
        let p = b.build(timeNanos: 5, durationNanos: 7)
        let decoded = try PprofDecoder.decodeRaw(PprofEncoder.encode(p))
        #expect(decoded == p)
        #expect(p.total(ofType: 0) == 50)
        // Leaf first.
        #expect(
            p.locations(ofSample: 0).map { p.strings[p.functions[Int(p.lines(ofLocation: Int($0)).first!.functionIndex)].name] } == [
                "b", "a", "main",
            ])
        #expect(p.functions.count == 3)
    }
}
