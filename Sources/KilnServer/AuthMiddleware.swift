import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import Synchronization

/// Auth on every route but `/ready`: HTTP basic auth for the configured
/// users, or `Authorization: Bearer <token>` for a configured token (what
/// Parca Agent's `--remote-store-bearer-token` sends). A request without
/// valid credentials gets 401 with `WWW-Authenticate` (a gRPC call:
/// `UNAUTHENTICATED`, 16) and no detail (which of the user or the password
/// was wrong is not said).
///
/// bcrypt is slow on purpose (tens of ms per check at cost 10), so accepted
/// credentials are remembered: at most `cacheLimit` `Authorization` values,
/// in memory only; a wrong password is checked every time.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = KilnRequestContext

    /// Accepted `Authorization` values remembered: clients reuse one, so a few suffice.
    static let cacheLimit = 1024
    static let openPaths: Set<String> = ["/ready"]

    let users: [String: String]
    let bearerTokens: Set<String>
    private let accepted = Accepted()

    /// The remembered `Authorization` values, shared by every copy of the middleware.
    private final class Accepted: Sendable {
        let values = Mutex<Set<String>>([])
    }

    init(users: [String: String], bearerTokens: Set<String>) {
        self.users = users
        self.bearerTokens = bearerTokens
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], verify(header) else {
            if let framing = GRPCUnary.Framing(contentType: request.headers[.contentType] ?? "") {
                return GRPCUnary.response(framing, message: nil, status: GRPCUnary.grpcStatus(.unauthenticated), text: "unauthorized")
            }
            return Response(
                status: .unauthorized,
                headers: [.wwwAuthenticate: "Basic realm=\"kiln\", charset=\"UTF-8\"", .contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "unauthorized\n")))
        }
        return try await next(request, context)
    }

    func verify(_ header: String) -> Bool {
        if header.hasPrefix("Bearer ") { return bearerTokens.contains(String(header.dropFirst(7))) }
        if accepted.values.withLock({ $0.contains(header) }) { return true }
        guard header.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(header.dropFirst(6))),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":"),
            let hash = users[String(text[..<colon])]
        else { return false }
        guard Bcrypt.verify(String(text[text.index(after: colon)...]), hash: hash) else { return false }
        accepted.values.withLock { set in
            if set.count >= Self.cacheLimit { set.removeAll() }
            set.insert(header)
        }
        return true
    }
}
