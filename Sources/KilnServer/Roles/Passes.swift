import ServiceLifecycle

/// The loop of a periodic role: sleeps `interval`, runs one pass, and again,
/// until the group shuts down gracefully (or the task is cancelled). The
/// sleep ends at once on shutdown; a pass under way finishes first.
/// - Throws: what a pass throws, ending the loop.
func everyInterval(_ interval: Duration, _ pass: () async throws -> Void) async throws {
    while !Task.isShuttingDownGracefully, !Task.isCancelled {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
        try await pass()
    }
}
