import KilnHead
import KilnModel
import Testing

/// `SymbolRemap`: another table's symbols carried into a destination, each
/// id once, rewritten in the destination's ids; equal symbols from two
/// sources become one in a `SymbolTable`; "no mapping" and "no location" stay.
@Suite struct SymbolRemapTests {
    /// A view with strings ["", name, file], one mapping, functions `name` and `other`, and two locations.
    static func view(name: String, other: String) -> SymbolView {
        SymbolView(
            strings: ["", "file.go", name, other, "bin"],
            functions: [
                FunctionSymbol(name: 2, systemName: 2, filename: 1, startLine: 3),
                FunctionSymbol(name: 3, systemName: 0, filename: 1, startLine: 9),
            ],
            mappings: [MappingSymbol(memoryStart: 1, memoryLimit: 2, fileOffset: 0, filename: 4, buildID: 0, flags: [.hasFunctions])],
            locations: [
                LocationSymbol(mapping: 0, address: 0x10, lines: [LineSymbol(function: 0, line: 4)]),
                LocationSymbol(mapping: LocationSymbol.noMapping, address: 0, lines: [LineSymbol(function: 1, line: 10)]),
            ],
            stackParents: [0, 0, 1], stackLocations: [StackTree.noLocation, 0, 1])
    }

    @Test func equalSymbolsOfTwoSourcesBecomeOne() {
        var table = SymbolTable()
        var first = SymbolRemap(Self.view(name: "main", other: "work"))
        var second = SymbolRemap(Self.view(name: "main", other: "idle"))
        let a = [first.location(0, into: &table), first.location(1, into: &table)]
        let b = [second.location(0, into: &table), second.location(1, into: &table)]
        #expect(a[0] == b[0], "the same location, mapping and function in both sources")
        #expect(a[1] != b[1], "work and idle differ")
        #expect(table.strings == ["", "bin", "main", "file.go", "work", "idle"], "mapping first, then the functions, in the order asked")
        #expect(table.locations[Int(a[1])].mapping == LocationSymbol.noMapping)
        #expect(first.location(StackTree.noLocation, into: &table) == StackTree.noLocation)
        #expect(table.functions.map { table.strings[Int($0.name)] } == ["main", "work", "idle"])
    }

    @Test func eachIDIsAskedForOnce() {
        struct Counting: SymbolInterning {
            var asked: [String] = []
            mutating func string(_ s: String) -> UInt32 { record("string \(s)") }
            mutating func mapping(_ m: MappingSymbol) -> UInt32 { record("mapping \(m.filename)") }
            mutating func function(_ f: FunctionSymbol) -> UInt32 { record("function \(f.name)") }
            mutating func location(_ l: LocationSymbol) -> UInt32 { record("location \(l.address)") }
            mutating func record(_ what: String) -> UInt32 {
                asked.append(what)
                return UInt32(asked.count)
            }
        }
        var table = Counting()
        var remap = SymbolRemap(Self.view(name: "main", other: "work"))
        let once = remap.location(0, into: &table)
        #expect(remap.location(0, into: &table) == once)
        // "bin", "" (the build ID), the mapping, "main" (name and system name), "file.go", the function, the location.
        #expect(table.asked.count == 7, "\(table.asked)")
    }
}
