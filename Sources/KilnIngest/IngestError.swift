/// Why an upload was rejected. `kind` decides the status the API answers with.
public struct IngestError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The request itself is malformed (bad name, labels, parameters): 400 / `invalid_argument`.
        case invalidArgument
        /// The request is well formed but its payload cannot be ingested (bad pprof,
        /// unparsable folded data, unknown profile type): 422 on `/ingest`, 400 on Push.
        case unprocessable
        /// A format or client version Kiln does not accept: 400 / `invalid_argument`.
        case unsupported
        /// A payload over a size limit: 413 / `resource_exhausted`.
        case tooLarge
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
