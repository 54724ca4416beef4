import Foundation
import Hummingbird
import KilnProto
import KilnStorage
import Logging

/// What Grafana's Profiles Drilldown app asks of the server besides
/// queries, as Pyroscope answers it: `settings.v1.SettingsService` (`Get`,
/// `Set`, `Delete`: per-tenant settings in `TenantSettingsStore`, a write
/// older than the stored one refused with `already_exists`) and
/// `capabilities.v1.FeatureFlagsService/GetFeatureFlags` (Pyroscope's flags,
/// each enabled as far as Kiln supports it). Connect unary, both codecs.
struct SettingsRoutes: Sendable {
    let settings: TenantSettingsStore
    let connect: ConnectUnary

    /// Pyroscope's feature flags (pkg/featureflags), sorted by name, with what Kiln supports.
    static let featureFlags: [(name: String, enabled: Bool, description: String)] = [
        ("pyroscopeRuler", false, "Supports the Pyroscope ruler, which exports Prometheus metrics from Profiling Data."),
        (
            "pyroscopeRulerFunctions", false,
            "Enables function support for the Pyroscope ruler, which allows to export resource usage on a per function level."
        ),
        ("utf8LabelNames", false, "Supports UTF-8 label names for Pyroscope read/write APIs."),
        ("v2StorageLayer", false, "v2 storage layer"),
    ]

    func register(on router: Router<KilnRequestContext>) {
        let service = "/settings.v1.SettingsService/"
        router.post(RouterPath(service + "Get")) { request, _ in
            await connect.serve(request, Settings_V1_GetSettingsRequest.self) { _, tenant in
                var out = Settings_V1_GetSettingsResponse()
                out.settings = try await settings.get(tenant: tenant).map(Self.proto)
                return out
            }
        }
        router.post(RouterPath(service + "Set")) { request, _ in
            await connect.serve(request, Settings_V1_SetSettingsRequest.self) { message, tenant in
                guard message.hasSetting else { throw ConnectError(.invalidArgument, "no setting values provided") }
                var s = message.setting
                if s.modifiedAt <= 0 { s.modifiedAt = Date().unixMilliseconds }
                var out = Settings_V1_SetSettingsResponse()
                do {
                    out.setting = Self.proto(
                        try await settings.set(tenant: tenant, TenantSetting(name: s.name, value: s.value, modifiedAt: s.modifiedAt)))
                } catch let e as TenantSettingsStore.Outdated {
                    throw ConnectError(.alreadyExists, e.description)
                }
                return out
            }
        }
        router.post(RouterPath(service + "Delete")) { request, _ in
            await connect.serve(request, Settings_V1_DeleteSettingsRequest.self) { message, tenant in
                guard !message.name.isEmpty else { throw ConnectError(.invalidArgument, "no setting name provided") }
                do {
                    try await settings.delete(tenant: tenant, name: message.name, modifiedAt: Date().unixMilliseconds)
                } catch let e as TenantSettingsStore.Outdated {
                    throw ConnectError(.alreadyExists, e.description)
                }
                return Settings_V1_DeleteSettingsResponse()
            }
        }
        router.post("/capabilities.v1.FeatureFlagsService/GetFeatureFlags") { request, _ in
            await connect.serve(request, Capabilities_V1_GetFeatureFlagsRequest.self) { _, _ in
                var out = Capabilities_V1_GetFeatureFlagsResponse()
                out.featureFlags = Self.featureFlags.map { f in
                    var flag = Capabilities_V1_FeatureFlag()
                    (flag.name, flag.enabled, flag.description_p) = (f.name, f.enabled, f.description)
                    return flag
                }
                return out
            }
        }
    }

    static func proto(_ s: TenantSetting) -> Settings_V1_Setting {
        var out = Settings_V1_Setting()
        (out.name, out.value, out.modifiedAt) = (s.name, s.value, s.modifiedAt)
        return out
    }
}
