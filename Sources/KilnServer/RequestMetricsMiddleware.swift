import Dispatch
import Hummingbird
import Metrics

/// Counts every request and times it, by route (the matched path pattern,
/// so `/querier.v1.QuerierService/SelectMergeStacktraces` is a route: query
/// latency by API) and status: `kiln_http_requests_total{route,method,status}`
/// and the histogram `kiln_http_request_duration_seconds{route}`. A request
/// no route matched is `route="unmatched"`, so scanners cannot grow the
/// label set. The time runs until the response is built: every handler
/// builds its whole body before returning, so that is the query's time.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let response = try await next(request, context)
            Self.record(route: context.endpointPath, method: request.method, status: response.status.code, start: start)
            return response
        } catch {
            Self.record(
                route: context.endpointPath, method: request.method,
                status: (error as? any HTTPResponseError)?.status.code ?? 500, start: start)
            throw error
        }
    }

    static func record(route: String?, method: HTTPRequest.Method, status: Int, start: UInt64) {
        let route = route ?? "unmatched"
        Counter(label: "kiln_http_requests_total", dimensions: [("route", route), ("method", method.rawValue), ("status", "\(status)")]).increment()
        Timer(label: "kiln_http_request_duration_seconds", dimensions: [("route", route)])
            .recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
    }
}
