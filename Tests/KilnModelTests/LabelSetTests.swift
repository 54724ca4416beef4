import KilnModel
import Testing

@Suite struct LabelSetTests {
    @Test func sortsAndDropsEmptyValues() throws {
        let set = try LabelSet([Label("b", "2"), Label("a", "1"), Label("c", "")])
        #expect(set.labels == [Label("a", "1"), Label("b", "2")])
        #expect(set["a"] == "1")
        #expect(set["c"] == nil)
        #expect(set["zzz"] == nil)
    }

    @Test func rejectsDuplicateNames() {
        #expect(throws: LabelSetError.duplicateName("a")) { try LabelSet([Label("a", "1"), Label("a", "2")]) }
    }

    @Test func fingerprintIsOrderIndependentAndStable() throws {
        let a = try LabelSet([Label("service_name", "api"), Label("__name__", "process_cpu")])
        let b = try LabelSet([Label("__name__", "process_cpu"), Label("service_name", "api")])
        #expect(a.fingerprint == b.fingerprint)
        // Persisted later (WAL, index): the value for a given set must never change.
        // Golden value computed independently (FNV-1a 64 in Python over the documented encoding).
        #expect(a.fingerprint == 0x91ba_baed_1f03_570b)
        #expect(Fingerprint.of([]) == 0xcbf2_9ce4_8422_2325)
        #expect(Fingerprint.of([Label("a", "b")]) == Fingerprint.of([Label("a", "b")]))
        // The separator keeps ("ab","c") and ("a","bc") apart.
        #expect(Fingerprint.of([Label("ab", "c")]) != Fingerprint.of([Label("a", "bc")]))
    }

    @Test func settingRemovingProjecting() throws {
        let set = try LabelSet([Label("a", "1"), Label("c", "3")])
        #expect(set.setting("b", "2").labels.map(\.name) == ["a", "b", "c"])
        #expect(set.setting("a", "9")["a"] == "9")
        #expect(set.setting("a", "")["a"] == nil)
        #expect(set.removing("a").labels == [Label("c", "3")])
        #expect(set.projected(onto: ["c", "x"]).labels == [Label("c", "3")])
    }

    @Test func ordering() throws {
        let a = try LabelSet([Label("a", "1")])
        let b = try LabelSet([Label("a", "1"), Label("b", "1")])
        let c = try LabelSet([Label("a", "2")])
        #expect(a < b)
        #expect(b < c)
        #expect(!(c < a))
    }
}

@Suite struct ProfileTypeIDTests {
    @Test func parsesFiveParts() throws {
        let t = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        #expect(t.name == "process_cpu")
        #expect(t.sampleType == "cpu")
        #expect(t.periodUnit == "nanoseconds")
        #expect(t.id == "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
    }

    @Test func acceptsEmptyPeriodAndDeltaSuffix() throws {
        #expect(try ProfileTypeID(parsing: "process_cpu:samples:count::").periodType == "")
        #expect(try ProfileTypeID(parsing: "memory:alloc_space:bytes:space:bytes:delta").id == "memory:alloc_space:bytes:space:bytes")
    }

    @Test(arguments: ["", "a", "a:b:c:d", "a:b:c:d:e:f", "a:b:c:d:e:f:g", ":b:c:d:e", "a::c:d:e"])
    func rejectsMalformed(_ id: String) {
        #expect(throws: ProfileTypeIDError.self) { try ProfileTypeID(parsing: id) }
    }
}
