import Foundation
import KilnStorage
import KilnTestSupport
import Testing

/// Tenant settings: the version 1 document read forever, and the store's
/// rules (tenants apart, newer writes win, a restart keeps them).
@Suite struct TenantSettingsTests {
    @Test func theGoldenDocumentReads() throws {
        let d = try TenantSettingsDocument.decode(try TestData.bytes("settings/anonymous.json"), path: "settings/anonymous.json")
        #expect(d.version == 1 && d.settings.map(\.name) == ["pyroscope.ui.explore.settings", "pyroscope.ui.favorites"])
        #expect(d.settings[1].modifiedAt == 1_765_152_012_345 && d.settings[0].value.contains("maxNodes"))
        #expect(try TenantSettingsDocument.decode(d.encoded(), path: "again") == d)
        #expect(throws: StorageError.self) { try TenantSettingsDocument.decode(Array(#"{"version":2,"settings":[]}"#.utf8), path: "v2") }
        #expect(throws: StorageError.self) {
            try TenantSettingsDocument.decode(
                Array(#"{"version":1,"settings":[{"name":"a","value":"","modifiedAt":1},{"name":"a","value":"","modifiedAt":2}]}"#.utf8),
                path: "twice")
        }
    }

    @Test func newerWritesWinAndTenantsStayApart() async throws {
        let dir = TestData.scratchDirectory("kiln-settings")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = TenantSettingsStore(store: try FileSystemObjectStore(root: dir))
        _ = try await store.set(tenant: "a", TenantSetting(name: "x", value: "1", modifiedAt: 10))
        _ = try await store.set(tenant: "b", TenantSetting(name: "x", value: "b", modifiedAt: 5))
        await #expect(throws: TenantSettingsStore.Outdated.self) {
            try await store.set(tenant: "a", TenantSetting(name: "x", value: "old", modifiedAt: 9))
        }
        _ = try await store.set(tenant: "a", TenantSetting(name: "x", value: "2", modifiedAt: 10))
        _ = try await store.set(tenant: "a", TenantSetting(name: "w", value: "w", modifiedAt: 1))
        // Concurrent writes of one process are serialized: none is lost.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 { group.addTask { _ = try await store.set(tenant: "c", TenantSetting(name: "s\(i)", value: "\(i)", modifiedAt: 1)) } }
            try await group.waitForAll()
        }
        // A second store over the same directory (a restart, another querier on the bucket) reads the same.
        let again = TenantSettingsStore(store: try FileSystemObjectStore(root: dir))
        #expect(
            try await again.get(tenant: "a") == [
                TenantSetting(name: "w", value: "w", modifiedAt: 1), TenantSetting(name: "x", value: "2", modifiedAt: 10),
            ])
        #expect(try await again.get(tenant: "b").map(\.value) == ["b"])
        #expect(try await again.get(tenant: "c").count == 20)
        #expect(try await again.get(tenant: "none").isEmpty)
        await #expect(throws: TenantSettingsStore.Outdated.self) { try await again.delete(tenant: "a", name: "x", modifiedAt: 9) }
        try await again.delete(tenant: "a", name: "x", modifiedAt: 11)
        try await again.delete(tenant: "a", name: "never", modifiedAt: 11)
        #expect(try await store.get(tenant: "a").map(\.name) == ["w"])
        #expect(FileManager.default.fileExists(atPath: dir + "/_settings/a.json"))
    }
}
