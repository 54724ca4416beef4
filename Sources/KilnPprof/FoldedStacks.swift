/// One stack of a folded-stack or lines upload.
public struct FoldedStack: Sendable, Equatable {
    /// Frame names, root first.
    public var frames: [String]
    public var value: Int64

    public init(frames: [String], value: Int64) {
        self.frames = frames
        self.value = value
    }
}

public struct FoldedParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number.
    public let line: Int
    public let reason: String
    public var description: String { "line \(line): \(reason)" }
}

/// Parsers for Pyroscope's text upload formats.
public enum FoldedStacks {
    /// Parses folded stacks (`format=folded` / `groups`, py-spy's `raw`):
    /// `frame1;frame2;…;leaf <count>` per line, root first. The line is split at
    /// its last space; lines without a space are skipped, as Pyroscope does.
    /// - Throws: `FoldedParseError` when a count is not an integer.
    public static func parseFolded(_ text: some Sequence<UInt8>) throws(FoldedParseError) -> [FoldedStack] {
        var out: [FoldedStack] = []
        var lineNumber = 0
        for line in lines(Array(text)) {
            lineNumber += 1
            guard let space = line.lastIndex(of: UInt8(ascii: " ")) else { continue }
            let countBytes = line[(space + 1)...]
            guard let count = Int64(String(decoding: countBytes, as: UTF8.self)) else {
                throw FoldedParseError(line: lineNumber, reason: "invalid sample count \"\(String(decoding: countBytes.prefix(32), as: UTF8.self))\"")
            }
            let frames = splitFrames(line[..<space])
            guard !frames.isEmpty else { continue }
            out.append(FoldedStack(frames: frames, value: count))
        }
        return out
    }

    /// Parses `format=lines`: each line is one stack with no count; identical
    /// lines are counted. Empty lines are ignored. Output keeps first-seen order.
    public static func parseLines(_ text: some Sequence<UInt8>) -> [FoldedStack] {
        var index: [ArraySlice<UInt8>: Int] = [:]
        var out: [FoldedStack] = []
        for line in lines(Array(text)) where !line.isEmpty {
            if let i = index[line] {
                out[i].value += 1
                continue
            }
            let frames = splitFrames(line)
            guard !frames.isEmpty else { continue }
            index[line] = out.count
            out.append(FoldedStack(frames: frames, value: 1))
        }
        return out
    }

    private static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map { line in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
    }

    private static func splitFrames(_ s: ArraySlice<UInt8>) -> [String] {
        s.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }
}
