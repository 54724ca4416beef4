import KilnStorage
import Logging

/// What `/ingester/flush` needs: cut every head into blocks now and ship them.
public protocol HeadFlusher: Sendable {
    /// nil on a process that writes no blocks.
    var blockDirectory: String? { get }

    /// Cuts every tenant's head into a block, then ships the blocks to the
    /// bucket (a no-op without one), rather than at the next pass.
    /// - Returns: the blocks written.
    func flushHeads(logger: Logger) async throws -> [BlockMeta]
}
