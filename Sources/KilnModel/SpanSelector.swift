/// The spans a query keeps (`SelectMergeSpanProfile`'s `span_selector`): a
/// profile is kept when its span id is one of `ids`.
public struct SpanSelector: Sendable, Equatable {
    public let ids: Set<UInt64>

    public init(ids: Set<UInt64>) { self.ids = ids }

    /// Parses span ids of 16 hex digits each (`SpanID`).
    /// - Throws: `SpanSelector.ParseError` naming the first malformed id.
    public init(parsing texts: [String]) throws(ParseError) {
        var ids = Set<UInt64>()
        for t in texts {
            guard let id = SpanID.parse(t) else { throw ParseError(text: t) }
            ids.insert(id)
        }
        self.ids = ids
    }

    @inline(__always)
    public func contains(_ id: UInt64) -> Bool { id != 0 && ids.contains(id) }

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let text: String
        public var description: String { "span id \"\(text.prefix(64))\" is not \(SpanID.hexDigits) hex digits" }
    }
}
