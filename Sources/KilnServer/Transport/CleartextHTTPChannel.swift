import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore

/// One cleartext port for HTTP/1.1 and HTTP/2 (h2c with prior knowledge, as
/// every gRPC client speaks it), as Pyroscope serves both on its main port:
/// a connection whose first bytes are HTTP/2's client preface is handed to
/// Hummingbird's HTTP/2 channel, any other to its HTTP/1.1 channel. Both
/// deliver requests to the same responder, so the router's middleware
/// (auth, metrics) and every route serve gRPC calls as they serve HTTP ones.
///
/// The choice costs one look at the first read (24 bytes at most are held
/// back); HTTP/2 framing itself is swift-nio-http2's.
struct CleartextHTTPChannel: ServerChildChannel {
    struct Value: ServerChildChannelValue {
        let version: EventLoopFuture<Version>
        let channel: any Channel
    }

    enum Version: Sendable {
        case http1(HTTP1Channel.Value)
        case http2(HTTP2Channel.Value)
    }

    let http1: HTTP1Channel
    let http2: HTTP2Channel

    init(responder: @escaping HTTPChannelHandler.Responder) {
        http1 = HTTP1Channel(responder: responder)
        http2 = HTTP2Channel(responder: responder)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let promise = channel.eventLoop.makePromise(of: Version.self)
            let sniffer = HTTPVersionSniffer { isHTTP2 in
                if isHTTP2 {
                    http2.setup(channel: channel, logger: logger).map(Version.http2).cascade(to: promise)
                } else {
                    http1.setup(channel: channel, logger: logger).map(Version.http1).cascade(to: promise)
                }
            } failed: { error in
                promise.fail(error)
            }
            try channel.pipeline.syncOperations.addHandler(sniffer)
            return Value(version: promise.futureResult, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.version.get() {
            case .http1(let connection): await http1.handle(value: connection, logger: logger)
            case .http2(let connection): await http2.handle(value: connection, logger: logger)
            }
        } catch {
            logger.debug("connection closed before its HTTP version was known: \(error)")
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 and cleartext HTTP/2 on one port (`CleartextHTTPChannel`).
    static var http1AndH2C: HTTPServerBuilder {
        .init { responder in CleartextHTTPChannel(responder: responder) }
    }
}
