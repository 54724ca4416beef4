import Foundation

/// One tenant setting, as Pyroscope's `settings.v1.Setting`: a name, a
/// value (any text: the Drilldown app stores JSON), and when it was written
/// (Unix milliseconds).
public struct TenantSetting: Codable, Sendable, Equatable {
    public var name: String
    public var value: String
    public var modifiedAt: Int64

    public init(name: String, value: String, modifiedAt: Int64) {
        self.name = name
        self.value = value
        self.modifiedAt = modifiedAt
    }
}

/// A tenant's settings document, `_settings/<tenant>.json` in the object
/// store (docs/format/settings.md, version 1): the settings sorted by name.
public struct TenantSettingsDocument: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public var version: Int
    public var settings: [TenantSetting]

    public init(settings: [TenantSetting]) {
        self.version = Self.currentVersion
        self.settings = settings.sorted { $0.name < $1.name }
    }

    /// The object key of `tenant`'s document. Two segments: no block key (four) or lease key is one.
    public static func key(tenant: String) -> String { "_settings/\(tenant).json" }

    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return [UInt8](try encoder.encode(self))
    }

    /// - Throws: `StorageError` naming `path` for malformed JSON, an unknown version, or two settings of one name.
    public static func decode(_ bytes: [UInt8], path: String) throws -> TenantSettingsDocument {
        let document: TenantSettingsDocument
        do {
            document = try JSONDecoder().decode(TenantSettingsDocument.self, from: Data(bytes))
        } catch {
            throw StorageError("read tenant settings", path: path, reason: "malformed: \(error)")
        }
        guard document.version == currentVersion else {
            throw StorageError("read tenant settings", path: path, reason: "version \(document.version) is not \(currentVersion)")
        }
        guard Set(document.settings.map(\.name)).count == document.settings.count else {
            throw StorageError("read tenant settings", path: path, reason: "a setting is named twice")
        }
        return TenantSettingsDocument(settings: document.settings)
    }
}

/// Per-tenant settings kept in the object store (the bucket when there is
/// one, so every querier sees the same; else a local directory), as
/// Pyroscope's tenant-settings service keeps them: read afresh on every
/// call, a write refused when the stored setting is newer
/// (`TenantSettingsStore.Outdated`, Pyroscope's "newer update already written").
///
/// Calls of one process are serialized (each reads, changes and writes the
/// whole document); two processes writing one tenant's document at once may
/// lose one write, as in Pyroscope. Cost: one object read (and write) per call.
public actor TenantSettingsStore {
    public struct Outdated: Error, Sendable, CustomStringConvertible {
        public let name: String
        public let action: String
        public var description: String { "failed to \(action) \(name): newer update already written" }
    }

    let store: any ObjectStore
    private var last: Task<Void, Never>?

    public init(store: any ObjectStore) { self.store = store }

    /// `tenant`'s settings, sorted by name.
    public func get(tenant: String) async throws -> [TenantSetting] {
        try await serialized { try await self.load(tenant).settings }
    }

    /// Stores `setting` unless the stored one of its name is newer; returns what is stored.
    public func set(tenant: String, _ setting: TenantSetting) async throws -> TenantSetting {
        try await serialized {
            var settings = try await self.load(tenant).settings
            if let old = settings.first(where: { $0.name == setting.name }), old.modifiedAt > setting.modifiedAt {
                throw Outdated(name: setting.name, action: "update")
            }
            settings.removeAll { $0.name == setting.name }
            settings.append(setting)
            try await self.store.put(TenantSettingsDocument.key(tenant: tenant), TenantSettingsDocument(settings: settings).encoded())
            return setting
        }
    }

    /// Removes setting `name` (nothing when absent) unless it was written after `modifiedAt`.
    public func delete(tenant: String, name: String, modifiedAt: Int64) async throws {
        try await serialized {
            var settings = try await self.load(tenant).settings
            guard let old = settings.first(where: { $0.name == name }) else { return }
            guard old.modifiedAt <= modifiedAt else { throw Outdated(name: name, action: "delete") }
            settings.removeAll { $0.name == name }
            try await self.store.put(TenantSettingsDocument.key(tenant: tenant), TenantSettingsDocument(settings: settings).encoded())
        }
    }

    private func load(_ tenant: String) async throws -> TenantSettingsDocument {
        let key = TenantSettingsDocument.key(tenant: tenant)
        do {
            return try TenantSettingsDocument.decode(try await store.get(key), path: key)
        } catch let e as ObjectStoreError where e.kind == .notFound {
            return TenantSettingsDocument(settings: [])
        }
    }

    /// Runs `operation` after every earlier call of this store has finished.
    private func serialized<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = last
        let task = Task {
            await previous?.value
            return try await operation()
        }
        last = Task { _ = try? await task.value }
        return try await task.value
    }
}
