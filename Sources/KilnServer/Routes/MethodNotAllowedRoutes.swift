import Hummingbird

/// 405 for a method a path does not serve, as Pyroscope answers (its HTTP
/// status table: GET, PUT, DELETE and PATCH on every Connect method and
/// POST on `/pyroscope/render` are 405, not 404), with `Allow` naming the
/// methods the path has.
enum MethodNotAllowedRoutes {
    /// The methods a client may try on a path; HEAD and OPTIONS stay the
    /// router's (404), as Pyroscope's table has no case for them.
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch]

    /// Registers, for every path already on `router`, a 405 answer to each
    /// method of `methods` it does not serve. Call after every other route.
    static func register(on router: Router<KilnRequestContext>) {
        let served = Dictionary(grouping: router.routes, by: { $0.path.description }).mapValues { routes in
            (path: routes[0].path, methods: Set(routes.map(\.method)))
        }
        for route in served.values {
            let allow = methods.filter(route.methods.contains).map(\.rawValue).joined(separator: ", ")
            for method in methods where !route.methods.contains(method) {
                router.on(route.path, method: method) { _, _ in
                    Response(
                        status: .methodNotAllowed, headers: [.allow: allow, .contentType: "text/plain; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: "method \(method.rawValue) not allowed; use \(allow)\n")))
                }
            }
        }
    }
}
