import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the connection's channel, so a query
/// can stop when its client goes away (the channel closes) rather than run
/// to completion for nobody.
struct KilnRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
