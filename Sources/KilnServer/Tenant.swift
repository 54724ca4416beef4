import HTTPTypes
import Hummingbird

/// The tenant of a request: `X-Scope-OrgID`; when absent, `anonymous` with
/// multi-tenancy off (Pyroscope's default) and 401 "no org id" with it on.
/// Every API, the WAL, the blocks and the bucket keep tenants apart by this id.
enum Tenant {
    static let anonymous = "anonymous"
    /// Longest tenant id accepted: 150 characters (Cortex/Mimir/Pyroscope `MaxTenantIDLength`).
    static let maxLength = 150

    static func of(_ request: Request, _ config: ServerConfig) throws -> String {
        guard let id = request.headers[.scopeOrgID], !id.isEmpty else {
            guard !config.multitenancy else { throw ConnectError(.unauthenticated, "no org id") }
            return anonymous
        }
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
