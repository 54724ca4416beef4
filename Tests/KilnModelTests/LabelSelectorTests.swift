import KilnModel
import Testing

@Suite struct LabelSelectorTests {
    func labels(_ pairs: [String: String]) throws -> LabelSet { try LabelSet(pairs.map { Label($0.key, $0.value) }) }

    @Test func emptyAndBraces() throws {
        #expect(try LabelSelector(parsing: "").matchers.isEmpty)
        #expect(try LabelSelector(parsing: "{}").matchers.isEmpty)
        #expect(try LabelSelector(parsing: "  { }  ").matchers.isEmpty)
        #expect(try LabelSelector(parsing: "{}").matches(labels(["a": "1"])))
    }

    @Test func allOperatorsAndQuotes() throws {
        let s = try LabelSelector(parsing: #"{a="1", b!='2', c=~`x.*`, d!~"y|z",}"#)
        #expect(s.matchers.map(\.op) == [.equal, .notEqual, .regexMatch, .regexNoMatch])
        #expect(s.matchers.map(\.value) == ["1", "2", "x.*", "y|z"])
        #expect(try s.matches(labels(["a": "1", "b": "3", "c": "xyz", "d": "w"])))
        #expect(try !s.matches(labels(["a": "1", "b": "2", "c": "xyz"])))
    }

    @Test func metricNameBecomesNameMatcher() throws {
        let s = try LabelSelector(parsing: #"process_cpu:cpu:nanoseconds:cpu:nanoseconds{service_name="x"}"#)
        #expect(s.matchers.first?.name == "__name__")
        #expect(s.matchers.first?.value == "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        #expect(s.matchers.count == 2)
        #expect(try LabelSelector(parsing: "up").matchers.count == 1)
    }

    @Test func escapesAndQuotedNames() throws {
        let s = try LabelSelector(parsing: #"{"service.name"="a\"b\n\x41\u00e9"}"#)
        #expect(s.matchers[0].name == "service.name")
        #expect(s.matchers[0].value == "a\"b\nAé")
    }

    @Test func hexAndOctalEscapesAreBytes() throws {
        #expect(try LabelSelector(parsing: #"{a="\xc3\xa9"}"#).matchers[0].value == "é")
        #expect(try LabelSelector(parsing: #"{a="\303\251"}"#).matchers[0].value == "é")
    }

    @Test func unbalancedRegexIsRejected() {
        #expect(throws: SelectorParseError.self) { try LabelSelector(parsing: #"{a=~"a)|(b"}"#) }
    }

    @Test func missingLabelMatchesEmpty() throws {
        let none = try labels(["other": "1"])
        #expect(try LabelSelector(parsing: #"{a=""}"#).matches(none))
        #expect(try LabelSelector(parsing: #"{a!="x"}"#).matches(none))
        #expect(try LabelSelector(parsing: #"{a=~".*"}"#).matches(none))
        #expect(try LabelSelector(parsing: #"{a=~""}"#).matches(none))
        #expect(try !LabelSelector(parsing: #"{a=~".+"}"#).matches(none))
        #expect(try !LabelSelector(parsing: #"{a="x"}"#).matches(none))
    }

    @Test func regexesAreFullyAnchored() throws {
        let s = try LabelSelector(parsing: #"{env=~"prod.*"}"#)
        #expect(try s.matches(labels(["env": "prod-eu"])))
        #expect(try !s.matches(labels(["env": "preprod"])))
        let alt = try LabelSelector(parsing: #"{env=~"a|b"}"#)
        #expect(try alt.matches(labels(["env": "b"])))
        #expect(try !alt.matches(labels(["env": "ab"])))
        let neg = try LabelSelector(parsing: #"{env!~"prod"}"#)
        #expect(try neg.matches(labels(["env": "prod2"])))
    }

    @Test func concatenatesSeveralSelectors() throws {
        let s = try LabelSelector(parsingAll: [#"{a="1"}"#, #"{b="2"}"#])
        #expect(s.matchers.count == 2)
    }

    /// Each malformed selector fails with the character position of the problem.
    @Test(arguments: [
        (#"{a="1""#, 6, "expected ',' or '}'"),
        (#"{a=1}"#, 3, "expected quoted string"),
        (#"{a~"1"}"#, 2, "expected one of"),
        (#"{="1"}"#, 1, "expected label name"),
        (#"{a="1"} x"#, 8, "after '}'"),
        (#"{a="1}"#, 3, "unterminated quoted string"),
        (#"{a=~"("}"#, 1, "invalid regular expression"),
        (#"{a="\q"}"#, 4, "invalid escape"),
        (#"foo bar"#, 4, "expected '{'"),
        (#"{a="1" b="2"}"#, 7, "expected ',' or '}'"),
    ])
    func errorsSayWhere(_ text: String, _ offset: Int, _ reason: String) {
        do {
            _ = try LabelSelector(parsing: text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.offset == offset, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            #expect(error.description.contains("at char \(offset + 1)"))
        }
    }
}
