/// A Prometheus vector selector: an optional metric name and `{…}` matchers,
/// all ANDed. `{}` selects everything.
///
/// Grammar (PromQL's `ParseMetricSelector`):
/// ```
/// selector := metric_name [ "{" matchers "}" ] | "{" matchers "}"
/// matchers := [ matcher { "," matcher } [ "," ] ]
/// matcher  := label_name op string
/// op       := "=" | "!=" | "=~" | "!~"
/// string   := '"' … '"' | "'" … "'" | "`" … "`"     (Go escapes in the first two)
/// ```
/// Label names are `[a-zA-Z_][a-zA-Z0-9_]*` or a quoted UTF-8 string; metric
/// names may also contain `:`, so a profile type ID can stand in the metric
/// name position (`process_cpu:cpu:nanoseconds:cpu:nanoseconds{a="b"}`),
/// becoming a `__name__` matcher.
public struct LabelSelector: Sendable, CustomStringConvertible {
    public var matchers: [LabelMatcher]

    public init(_ matchers: [LabelMatcher] = []) { self.matchers = matchers }

    /// Parses `text`. An empty or all-blank text is `{}`.
    /// - Throws: `SelectorParseError` naming the character offset and what was expected.
    public init(parsing text: String) throws(SelectorParseError) {
        var parser = SelectorParser(text)
        self.matchers = try parser.parse()
    }

    /// Parses and concatenates several selectors (their matchers are ANDed).
    public init(parsingAll texts: [String]) throws(SelectorParseError) {
        var all: [LabelMatcher] = []
        for t in texts { all += try LabelSelector(parsing: t).matchers }
        self.matchers = all
    }

    /// Whether a series with these labels is selected.
    public func matches(_ labels: LabelSet) -> Bool {
        matchers.allSatisfy { $0.matches(labels[$0.name]) }
    }

    public var description: String { "{" + matchers.map(\.description).joined(separator: ",") + "}" }
}

public struct SelectorParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Offset in characters (unicode scalars) from the start of the selector.
    public let offset: Int
    public let reason: String
    public let selector: String

    public var description: String {
        "invalid label selector \(quoted(selector)) at char \(offset + 1): \(reason)"
    }
}

/// A recursive-descent parser over the selector's unicode scalars.
struct SelectorParser {
    private let text: String
    private let scalars: [Unicode.Scalar]
    private var pos = 0

    init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    mutating func parse() throws(SelectorParseError) -> [LabelMatcher] {
        var matchers: [LabelMatcher] = []
        skipSpace()
        if atEnd { return [] }
        if let c = peek, Self.isNameStart(c) {
            let start = pos
            let name = readWhile { Self.isNameStart($0) || Self.isDigit($0) || $0 == ":" }
            matchers.append(try makeMatcher(ReservedLabels.name, .equal, name, at: start))
            skipSpace()
            if atEnd { return matchers }
        }
        try expect("{", "expected '{' or end of selector")
        skipSpace()
        while peek != "}" {
            guard !atEnd else { throw fail("unexpected end of selector, expected label matcher or '}'") }
            let nameStart = pos
            let name = try readLabelName()
            skipSpace()
            let op = try readOp()
            skipSpace()
            let value = try readString()
            matchers.append(try makeMatcher(name, op, value, at: nameStart))
            skipSpace()
            if peek == "," {
                pos += 1
                skipSpace()
            } else if peek != "}" {
                throw fail(atEnd ? "unexpected end of selector, expected ',' or '}'" : "unexpected \(describe(peek!)), expected ',' or '}'")
            }
        }
        pos += 1
        skipSpace()
        guard atEnd else { throw fail("unexpected \(describe(peek!)) after '}'") }
        return matchers
    }

    // MARK: - Tokens

    private var atEnd: Bool { pos >= scalars.count }
    private var peek: Unicode.Scalar? { atEnd ? nil : scalars[pos] }

    private mutating func skipSpace() {
        while let c = peek, c == " " || c == "\t" || c == "\n" || c == "\r" { pos += 1 }
    }

    private mutating func readWhile(_ pred: (Unicode.Scalar) -> Bool) -> String {
        var s = String.UnicodeScalarView()
        while let c = peek, pred(c) {
            s.append(c)
            pos += 1
        }
        return String(s)
    }

    private mutating func expect(_ c: Unicode.Scalar, _ message: String) throws(SelectorParseError) {
        guard peek == c else {
            throw fail(atEnd ? "unexpected end of selector, \(message)" : "unexpected \(describe(peek!)), \(message)")
        }
        pos += 1
    }

    private mutating func readLabelName() throws(SelectorParseError) -> String {
        guard let c = peek else { throw fail("expected label name") }
        if c == "\"" || c == "'" || c == "`" {
            let name = try readString()
            guard !name.isEmpty else { throw fail("empty label name") }
            return name
        }
        guard Self.isNameStart(c) else { throw fail("unexpected \(describe(c)), expected label name") }
        return readWhile { Self.isNameStart($0) || Self.isDigit($0) }
    }

    private mutating func readOp() throws(SelectorParseError) -> LabelMatcher.Op {
        switch (peek, pos + 1 < scalars.count ? scalars[pos + 1] : nil) {
        case ("=", "~"):
            pos += 2
            return .regexMatch
        case ("!", "~"):
            pos += 2
            return .regexNoMatch
        case ("!", "="):
            pos += 2
            return .notEqual
        case ("=", _):
            pos += 1
            return .equal
        case (nil, _): throw fail("unexpected end of selector, expected one of '=', '!=', '=~', '!~'")
        case (let c?, _): throw fail("unexpected \(describe(c)), expected one of '=', '!=', '=~', '!~'")
        }
    }

    private mutating func readString() throws(SelectorParseError) -> String {
        guard let quote = peek else { throw fail("unexpected end of selector, expected quoted string") }
        guard quote == "\"" || quote == "'" || quote == "`" else {
            throw fail("unexpected \(describe(quote)), expected quoted string")
        }
        let start = pos
        pos += 1
        // Bytes, not scalars: Go's \xHH and octal escapes denote bytes, so
        // "\xc3\xa9" is "é" as in PromQL.
        var out: [UInt8] = []
        while true {
            guard let c = peek else {
                pos = start
                throw fail("unterminated quoted string")
            }
            pos += 1
            if c == quote { return String(decoding: out, as: UTF8.self) }
            if c == "\\" && quote != "`" {
                switch try readEscape(quote: quote) {
                case .byte(let b): out.append(b)
                case .scalar(let s): out.append(contentsOf: Array(String(Character(s)).utf8))
                }
            } else {
                out.append(contentsOf: Array(String(Character(c)).utf8))
            }
        }
    }

    private enum Escaped {
        case byte(UInt8)
        case scalar(Unicode.Scalar)
    }

    /// Go string escapes: \a \b \f \n \r \t \v \\ \' \" \xHH \ooo \uHHHH \UHHHHHHHH.
    private mutating func readEscape(quote: Unicode.Scalar) throws(SelectorParseError) -> Escaped {
        let escStart = pos - 1
        guard let c = peek else { throw fail("unterminated escape sequence") }
        pos += 1
        func hex(_ n: Int) throws(SelectorParseError) -> UInt32 {
            var v: UInt32 = 0
            for _ in 0..<n {
                guard let d = peek, d.isASCII, let x = UInt32(String(d), radix: 16) else {
                    pos = escStart
                    throw fail("invalid escape sequence")
                }
                v = v * 16 + x
                pos += 1
            }
            return v
        }
        let value: UInt32
        switch c {
        case "a": value = 7
        case "b": value = 8
        case "f": value = 12
        case "n": value = 10
        case "r": value = 13
        case "t": value = 9
        case "v": value = 11
        case "\\": value = 92
        case "\"", "'":
            guard c == quote else {
                pos = escStart
                throw fail("invalid escape sequence \\\(c)")
            }
            value = c.value
        case "x": return .byte(UInt8(try hex(2)))
        case "u": value = try hex(4)
        case "U": value = try hex(8)
        case "0"..."7":
            var v = c.value - 48
            for _ in 0..<2 {
                guard let d = peek, ("0"..."7").contains(d) else {
                    pos = escStart
                    throw fail("invalid octal escape")
                }
                v = v * 8 + (d.value - 48)
                pos += 1
            }
            guard v <= 255 else {
                pos = escStart
                throw fail("octal escape above \\377")
            }
            return .byte(UInt8(v))
        default:
            pos = escStart
            throw fail("invalid escape sequence \\\(c)")
        }
        guard let scalar = Unicode.Scalar(value) else {
            pos = escStart
            throw fail("escape sequence is not a valid code point")
        }
        return .scalar(scalar)
    }

    private func makeMatcher(_ name: String, _ op: LabelMatcher.Op, _ value: String, at offset: Int) throws(SelectorParseError) -> LabelMatcher {
        do {
            return try LabelMatcher(name, op, value)
        } catch {
            throw SelectorParseError(offset: offset, reason: error.description, selector: text)
        }
    }

    private func fail(_ reason: String) -> SelectorParseError {
        SelectorParseError(offset: pos, reason: reason, selector: text)
    }

    private func describe(_ c: Unicode.Scalar) -> String { "character '\(c)'" }
    private static func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
    private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
}
