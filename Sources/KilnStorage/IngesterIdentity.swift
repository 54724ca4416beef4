import Foundation
import KilnFormat

/// Whose an ingester's data directory is: `<wal>/ingester.json`, written on
/// its first start with the `--ingester.id` (absent for none) and a random
/// token that names this data directory in the bucket (`IngesterLease`).
///
/// Invariant: a data directory keeps its id for life, and its blocks carry
/// it. A start with another id is refused before anything is replayed or
/// written, so a mistaken id can neither adopt another ingester's blocks nor
/// leave this one's to nobody.
public struct IngesterIdentity: Codable, Sendable, Equatable {
    public var id: String?
    /// Random, made once per data directory: two processes with the same id
    /// but different data directories tell each other apart by it.
    public var token: String

    public init(id: String?, token: String) {
        (self.id, self.token) = (id, token)
    }

    static let fileName = "ingester.json"

    /// The file's bytes (docs/format/ownership.md): sorted keys, `id` absent for none.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return [UInt8](try encoder.encode(self)) + [0x0A]
    }

    /// - Throws: `StorageError` naming `path` for bytes that are not an identity.
    public static func decode(_ bytes: [UInt8], path: String) throws -> IngesterIdentity {
        do {
            let identity = try JSONDecoder().decode(IngesterIdentity.self, from: Data(bytes))
            guard !identity.token.isEmpty else { throw StorageError("read ingester identity", path: path, reason: "empty token") }
            return identity
        } catch let e as StorageError {
            throw e
        } catch {
            throw StorageError("read ingester identity", path: path, reason: "malformed: \(error)")
        }
    }

    /// The identity stored in `walDirectory`; nil for a directory without
    /// one yet (new, or written before identities existed).
    /// - Throws: `StorageError` for a file that cannot be read or decoded.
    public static func stored(in walDirectory: String) throws -> IngesterIdentity? {
        let path = walDirectory + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try decode(try FileIO.read(path), path: path)
    }

    /// The identity of the data directory for an ingester started as `id`:
    /// the stored one, or (first start) a new one, written and synced now,
    /// once the local blocks are checked to have no other owner.
    /// - Throws: `StorageError` naming the directory (or block) and both ids
    ///   when they differ.
    static func claim(walDirectory: String, blockDirectory: String?, id: String?) throws -> IngesterIdentity {
        if let blockDirectory { try checkOwners(blockDirectory, id: id) }
        if let stored = try stored(in: walDirectory) {
            guard stored.id == id else {
                throw StorageError(
                    "open", path: walDirectory,
                    reason: "this data directory is \(ownerName(stored.id))'s, "
                        + "and this process was started as \(ownerName(id)); start it with the data directory's id")
            }
            return stored
        }
        // Written before identities, by an ingester without an id: its blocks in the bucket have no owner.
        if id != nil, !(try WALSegments.list(walDirectory)).isEmpty {
            throw StorageError(
                "open", path: walDirectory,
                reason: "this data directory predates ingester ids, so it is "
                    + "\(ownerName(nil))'s (its blocks in the bucket have no owner), and this process was started as \(ownerName(id)); start it without --ingester.id"
            )
        }
        let identity = IngesterIdentity(id: id, token: UUID().uuidString.lowercased())
        let path = walDirectory + "/" + fileName
        try FileIO.writeDurably(path, try identity.encoded(), temporary: path + ".tmp")
        return identity
    }

    /// Refuses local blocks of another owner (a data directory from before
    /// identities, started with a new id): adopting them could merge data
    /// their owner merges too. Reads each block's `meta.json` only; one that
    /// does not decode is left to the start-up's block checks.
    static func checkOwners(_ blockDirectory: String, id: String?) throws {
        for tenant in try FileIO.list(blockDirectory) {
            let dir = Ingester.tenantDirectory(blockDirectory, tenant)
            for name in try FileIO.list(dir) where ULID(name) != nil {
                let path = dir + "/" + name + "/" + BlockSchema.metaFile
                guard let bytes = try? FileIO.read(path), let meta = try? BlockMeta.decode(bytes, path: path) else { continue }
                guard meta.ingester == id else {
                    throw StorageError(
                        "open blocks", path: dir + "/" + name,
                        reason: "the block is \(ownerName(meta.ingester))'s, "
                            + "and this process was started as \(ownerName(id)); start it with the id its blocks were written with")
                }
            }
        }
    }

    /// An owner as messages name it.
    static func ownerName(_ id: String?) -> String { id.map { "ingester \"\($0)\"" } ?? "the ingester without --ingester.id" }
}
