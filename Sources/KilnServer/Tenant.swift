import HTTPTypes
import Hummingbird

/// The tenant of a request: `X-Scope-OrgID`, or `anonymous` when absent
/// (multi-tenancy off, as in Pyroscope's default).
enum Tenant {
    static let anonymous = "anonymous"
    /// Longest tenant id accepted: 150 characters (Cortex/Mimir/Pyroscope `MaxTenantIDLength`).
    static let maxLength = 150

    static func of(_ request: Request) throws -> String {
        guard let id = request.headers[.scopeOrgID], !id.isEmpty else { return anonymous }
        guard id.count <= maxLength else {
            throw ConnectError(.invalidArgument, "tenant ID is longer than \(maxLength) characters")
        }
        guard id != ".", id != "..", id.unicodeScalars.allSatisfy(isTenantScalar) else {
            throw ConnectError(.invalidArgument, "tenant ID \"\(id)\" contains unsupported characters (allowed: letters, digits and !-_.*'())")
        }
        return id
    }

    private static func isTenantScalar(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || "!-_.*'()".unicodeScalars.contains(c))
    }
}
