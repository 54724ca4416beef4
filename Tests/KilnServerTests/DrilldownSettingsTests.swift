import Foundation
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Testing

/// What the Profiles Drilldown app asks besides queries: tenant settings
/// (`settings.v1.SettingsService`) and feature flags, as Pyroscope answers.
@Suite struct DrilldownSettingsTests {
    static let service = "/settings.v1.SettingsService/"

    static func set(_ name: String, _ value: String, at: Int64 = 0) -> Settings_V1_SetSettingsRequest {
        var r = Settings_V1_SetSettingsRequest()
        (r.setting.name, r.setting.value, r.setting.modifiedAt) = (name, value, at)
        return r
    }

    @Test func settingsRoundTripPerTenant() async throws {
        try await InProcessServer().run { server in
            let a = server.tenant("a")
            let empty: Settings_V1_GetSettingsResponse = try await a.call(Self.service + "Get", Settings_V1_GetSettingsRequest())
            #expect(empty.settings.isEmpty)
            let stored: Settings_V1_SetSettingsResponse = try await a.call(Self.service + "Set", Self.set("pyroscope.ui.x", #"{"k":1}"#))
            // No modifiedAt: the server's clock, in milliseconds.
            #expect(stored.setting.modifiedAt > 1_700_000_000_000 && stored.setting.modifiedAt < 4_102_444_800_000)
            let _: Settings_V1_SetSettingsResponse = try await a.call(Self.service + "Set", Self.set("pyroscope.ui.a", "v", at: 5))
            let got: Settings_V1_GetSettingsResponse = try await a.call(Self.service + "Get", Settings_V1_GetSettingsRequest())
            #expect(got.settings.map(\.name) == ["pyroscope.ui.a", "pyroscope.ui.x"] && got.settings[1].value == #"{"k":1}"#)
            // Another tenant sees none of it.
            let b: Settings_V1_GetSettingsResponse = try await server.tenant("b").call(Self.service + "Get", Settings_V1_GetSettingsRequest())
            #expect(b.settings.isEmpty)
            // An older write: already_exists (409), Pyroscope's wording; no setting: invalid_argument.
            let old = try await a.post(
                Self.service + "Set", headers: [("Content-Type", "application/json")],
                body: Array(#"{"setting":{"name":"pyroscope.ui.a","value":"w","modifiedAt":"4"}}"#.utf8))
            #expect(old.status == 409 && old.text.contains("failed to update pyroscope.ui.a: newer update already written"), "\(old.text)")
            let none = try await a.post(Self.service + "Set", headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
            #expect(none.status == 400 && none.text.contains("no setting values provided"))
            var delete = Settings_V1_DeleteSettingsRequest()
            delete.name = "pyroscope.ui.a"
            let _: Settings_V1_DeleteSettingsResponse = try await a.call(Self.service + "Delete", delete)
            let after: Settings_V1_GetSettingsResponse = try await a.call(Self.service + "Get", Settings_V1_GetSettingsRequest())
            #expect(after.settings.map(\.name) == ["pyroscope.ui.x"])
        }
    }

    @Test func featureFlagsAsPyroscopeListsThem() async throws {
        try await InProcessServer().run { server in
            let r: Capabilities_V1_GetFeatureFlagsResponse = try await server.call(
                "/capabilities.v1.FeatureFlagsService/GetFeatureFlags", Capabilities_V1_GetFeatureFlagsRequest())
            #expect(r.featureFlags.map(\.name) == ["pyroscopeRuler", "pyroscopeRulerFunctions", "utf8LabelNames", "v2StorageLayer"])
            #expect(r.featureFlags.allSatisfy { $0.hasDescription_p })
        }
    }

    /// The real binary: settings survive a restart (the data directory), and with a bucket they live in it.
    @Test(.timeLimit(.minutes(2)))
    func settingsSurviveARestart() throws {
        let data = URL(fileURLWithPath: TestData.scratchDirectory("kiln-settings-restart"))
        let bucket = URL(fileURLWithPath: TestData.scratchDirectory("kiln-settings-bucket"))
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: bucket)
        }
        for arguments in [[], ["--storage.filesystem.dir", bucket.path]] {
            var server: KilnServerProcess? = try KilnServerProcess(arguments: arguments, dataDirectory: data)
            let _: Settings_V1_SetSettingsResponse = try ConnectClient(server: server!, tenant: "t").call(
                Self.service + "Set", Self.set("pyroscope.ui.favorites", "[\(arguments.count)]", at: Int64(10 + arguments.count)))
            let port = server!.port
            server!.stop()
            server = nil
            let again = try KilnServerProcess(arguments: arguments, dataDirectory: data, port: port)
            let got: Settings_V1_GetSettingsResponse = try ConnectClient(server: again, tenant: "t").call(
                Self.service + "Get", Settings_V1_GetSettingsRequest())
            #expect(got.settings.map(\.value) == ["[\(arguments.count)]"], "\(arguments)")
            again.stop()
        }
        #expect(FileManager.default.fileExists(atPath: data.path + "/_settings/t.json"))
        #expect(FileManager.default.fileExists(atPath: bucket.path + "/_settings/t.json"))
    }
}
