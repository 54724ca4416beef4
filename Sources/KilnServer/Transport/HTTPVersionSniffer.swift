import NIOCore

/// The first handler of a cleartext connection: holds back the first bytes
/// until they either are HTTP/2's client connection preface (RFC 9113 §3.4)
/// or cannot become it, then lets `decided` configure the pipeline behind it,
/// passes the held bytes on and removes itself.
///
/// Invariant: at most `preface.count` bytes are held; `decided` runs once,
/// on the channel's event loop; `failed` runs instead when the connection
/// closes or errs before the choice.
final class HTTPVersionSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`: what an HTTP/2 client with prior knowledge sends first.
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private var held: ByteBuffer?
    private var done = false
    private let decided: (_ isHTTP2: Bool) throws -> Void
    private let failed: (any Error) -> Void

    init(decided: @escaping (_ isHTTP2: Bool) throws -> Void, failed: @escaping (any Error) -> Void) {
        self.decided = decided
        self.failed = failed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var held {
            held.writeBuffer(&bytes)
            bytes = held
        }
        let seen = bytes.readableBytesView.prefix(Self.preface.count)
        guard seen.elementsEqual(Self.preface.prefix(seen.count)) else { return decide(false, bytes, context) }
        guard seen.count == Self.preface.count else {
            held = bytes
            return
        }
        decide(true, bytes, context)
    }

    private func decide(_ isHTTP2: Bool, _ bytes: ByteBuffer, _ context: ChannelHandlerContext) {
        done = true
        held = nil
        do {
            try decided(isHTTP2)
        } catch {
            failed(error)
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            failed(ChannelError.eof)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            failed(error)
        }
        context.fireErrorCaught(error)
    }
}
