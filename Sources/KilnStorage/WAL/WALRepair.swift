import KilnFormat

/// Cuts a WAL back to its last good record.
public enum WALRepair {
    public struct Result: Sendable, CustomStringConvertible {
        /// The segment truncated and where, or nil when only later segments were removed.
        public var truncated: (path: String, offset: Int)?
        public var removedSegments: [String]
        public var reason: String

        public var description: String {
            var parts: [String] = []
            if let t = truncated { parts.append("truncated \(t.path) at byte \(t.offset)") }
            if !removedSegments.isEmpty { parts.append("removed \(removedSegments.joined(separator: ", "))") }
            return parts.joined(separator: "; ") + " (\(reason))"
        }
    }

    /// Finds the first problem — corruption, a torn tail, a record that does
    /// not apply, a missing segment — and truncates the log there: the
    /// affected segment is cut at the bad record (removed if nothing precedes
    /// it) and every later segment is deleted. Returns nil when the log is intact.
    ///
    /// The caller must hold the directory lock (no daemon may be running).
    public static func repair(_ directory: String) throws -> Result? {
        guard let problem = try firstProblem(directory) else { return nil }
        if let gap = problem.missingSegment {
            // Keep what precedes the gap.
            let removed = try WALSegments.list(directory).filter { $0 > gap }
            for n in removed { try FileIO.remove(WALSegments.path(directory, n)) }
            try FileIO.syncDirectory(directory)
            return Result(truncated: nil, removedSegments: removed.map(WALSegments.name), reason: problem.reason)
        }
        if problem.offset <= WALFrame.segmentHeaderSize {
            try FileIO.remove(problem.path)
        } else {
            try FileIO.truncate(problem.path, to: problem.offset)
        }
        let removed = try WALSegments.list(directory).filter { $0 > problem.segment }
        for n in removed { try FileIO.remove(WALSegments.path(directory, n)) }
        try FileIO.syncDirectory(directory)
        return Result(truncated: (problem.path, problem.offset), removedSegments: removed.map(WALSegments.name), reason: problem.reason)
    }

    struct Problem {
        var segment = 0
        var path = ""
        var offset = 0
        var reason = ""
        var missingSegment: Int?
    }

    /// Replays into scratch heads and reports where the log first goes wrong.
    static func firstProblem(_ directory: String) throws -> Problem? {
        let stats: Ingester.ReplayStats
        do {
            stats = try Ingester.replayLog(directory, into: TenantHeads())
        } catch let error as WALError {
            switch error {
            case .corruption(let path, let offset, let reason):
                let name = path.split(separator: "/").last.map(String.init) ?? path
                return Problem(segment: Int(name) ?? 0, path: path, offset: offset, reason: reason)
            case .missingSegment(_, let number):
                return Problem(reason: "segment \(WALSegments.name(number)) is missing", missingSegment: number)
            case .io(let e):
                throw e
            }
        }
        guard let torn = stats.truncatedTail else { return nil }
        return Problem(segment: torn.segment, path: torn.path, offset: torn.offset, reason: torn.reason)
    }
}
