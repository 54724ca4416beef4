/// A JFR recording: a sequence of self-contained chunks (docs/format/jfr.md).
///
/// The reader is hand-written (no JFR library exists for Swift) and
/// streams: it reads one chunk at a time and hands it to the caller, so
/// memory is bounded by the largest chunk's pools and events, not by the
/// recording (the JDK rotates chunks at 12 MB by default, async-profiler
/// writes one per upload).
public enum JFRRecording {
    /// The reserved event type ids: the metadata event and constant pool checkpoints.
    static let metadataEventType: Int64 = 0
    static let constantPoolEventType: Int64 = 1

    /// Reads every chunk of `bytes`, in order.
    /// - Throws: `JFRError` with the byte offset of the first problem; chunks
    ///   before it have been handed to `body` already.
    public static func forEachChunk(_ bytes: [UInt8], _ body: (JFRChunk) -> Void) throws(JFRError) {
        guard !bytes.isEmpty else { throw JFRError(offset: 0, reason: "empty recording") }
        let result: Result<Void, JFRError> = bytes.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let chunk: JFRChunk
                do throws(JFRError) { chunk = try JFRChunk(raw, at: at) } catch { return .failure(error) }
                body(chunk)
                at += chunk.header.chunkSize
            }
            return .success(())
        }
        try result.get()
    }

    /// Every chunk of `bytes` (for tools and tests; ingest streams with `forEachChunk`).
    public static func chunks(_ bytes: [UInt8]) throws(JFRError) -> [JFRChunk] {
        var out: [JFRChunk] = []
        try forEachChunk(bytes) { out.append($0) }
        return out
    }
}
