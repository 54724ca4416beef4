/// One Prometheus label matcher: `name op "value"`.
///
/// Semantics (Prometheus): a missing label matches as the empty string, so
/// `a=""` and `a!="x"` match series without `a`; regular expressions are fully
/// anchored, so `env=~"prod.*"` matches `prod-eu` but not `preprod`.
public struct LabelMatcher: Sendable, CustomStringConvertible {
    public enum Op: String, Sendable {
        case equal = "="
        case notEqual = "!="
        case regexMatch = "=~"
        case regexNoMatch = "!~"
    }

    public let name: String
    public let op: Op
    public let value: String
    private let pattern: AnchoredPattern?

    /// - Throws: `LabelMatcherError` when `value` is not a valid regular expression for `=~`/`!~`.
    public init(_ name: String, _ op: Op, _ value: String) throws(LabelMatcherError) {
        self.name = name
        self.op = op
        self.value = value
        switch op {
        case .equal, .notEqual: pattern = nil
        case .regexMatch, .regexNoMatch:
            do { pattern = try AnchoredPattern(value) } catch { throw LabelMatcherError(pattern: value, reason: "\(error)") }
        }
    }

    /// Whether a label value (nil = label absent) satisfies this matcher.
    public func matches(_ labelValue: String?) -> Bool {
        let v = labelValue ?? ""
        switch op {
        case .equal: return v == value
        case .notEqual: return v != value
        case .regexMatch: return pattern!.matches(v)
        case .regexNoMatch: return !pattern!.matches(v)
        }
    }

    /// Whether this matcher accepts a series that lacks the label.
    public var matchesEmpty: Bool { matches(nil) }

    public var description: String { "\(name)\(op.rawValue)\(quoted(value))" }
}

public struct LabelMatcherError: Error, Equatable, Sendable, CustomStringConvertible {
    public let pattern: String
    public let reason: String
    public var description: String { "invalid regular expression \(quoted(pattern)): \(reason)" }
}

/// A fully anchored regular expression (`^(?:re)$`), with the trivial cases
/// that dominate real selectors (`.*`, `.+`, literals) answered without the
/// regex engine.
struct AnchoredPattern: @unchecked Sendable {
    // @unchecked: `Regex` is an immutable value once compiled; matching does
    // not mutate it, so sharing it across threads is safe.
    private enum Kind {
        case any
        case nonEmpty
        case literal(String)
        case regex(Regex<AnyRegexOutput>)
    }
    private let kind: Kind

    init(_ source: String) throws {
        if source == ".*" {
            kind = .any
        } else if source == ".+" {
            kind = .nonEmpty
        } else if !source.contains(where: { "\\.+*?()|[]{}^$".contains($0) }) {
            kind = .literal(source)
        } else {
            // Compile the source alone first: wrapping an unbalanced pattern such as
            // `a)|(b` would otherwise turn it into a different, valid one.
            _ = try Regex(source)
            kind = .regex(try Regex("^(?:" + source + ")$"))
        }
    }

    func matches(_ s: String) -> Bool {
        switch kind {
        case .any: return true
        case .nonEmpty: return !s.isEmpty
        case .literal(let l): return s == l
        case .regex(let re): return (try? re.wholeMatch(in: s)) != nil
        }
    }
}
