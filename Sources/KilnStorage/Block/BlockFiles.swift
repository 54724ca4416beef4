import Glibc
import KilnFormat

/// Where an opened block's files are read from: a local directory
/// (`LocalBlockFiles`) or a bucket through the local cache (`BucketBlockFiles`).
/// A block's files never change once `meta.json` exists, so any byte read
/// may be cached forever.
public protocol BlockFiles: Sendable {
    /// Where the block lives, for messages: a directory or a bucket prefix.
    var location: String { get }
    /// `range` of `file` (fewer bytes only at the file's end).
    func read(_ file: String, _ range: Range<Int>) async throws -> [UInt8]
    /// Hints that `ranges` of `file` are about to be read, so a remote source
    /// can fetch them together instead of one round trip per read.
    func prefetch(_ file: String, _ ranges: [Range<Int>]) async throws
}

extension BlockFiles {
    public func prefetch(_ file: String, _ ranges: [Range<Int>]) async throws {}
}

/// A block in a local directory. `profiles.kcol`, the one file read after
/// opening, stays open, so the directory may be deleted (after shipping)
/// while queries still hold the block.
public final class LocalBlockFiles: BlockFiles {
    public let directory: String
    private let profiles: Int32

    public init(directory: String) throws {
        self.directory = directory
        profiles = try FileIO.open(directory + "/" + BlockSchema.profilesFile, O_RDONLY)
    }

    deinit { Glibc.close(profiles) }

    public var location: String { directory }

    /// Reads synchronously: local reads are short and never wait on the network.
    public func readNow(_ file: String, _ range: Range<Int>) throws -> [UInt8] {
        if file == BlockSchema.profilesFile { return try FileIO.pread(profiles, range, path: directory + "/" + file) }
        let fd = try FileIO.open(directory + "/" + file, O_RDONLY)
        defer { Glibc.close(fd) }
        return try FileIO.pread(fd, range, path: directory + "/" + file)
    }

    public func read(_ file: String, _ range: Range<Int>) async throws -> [UInt8] { try readNow(file, range) }

    /// The whole file.
    public func readAll(_ file: String) throws -> [UInt8] { try FileIO.read(directory + "/" + file) }
}
