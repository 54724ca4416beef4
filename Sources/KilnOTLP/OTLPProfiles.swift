import Foundation
import KilnIngest
import KilnModel
import KilnPprof
import KilnProto

/// OTLP profiles (`ExportProfilesServiceRequest`, opentelemetry-proto
/// `profiles/v1development`) as pprof profiles with series labels, mapped as
/// Pyroscope's OTLP ingester maps them (pkg/ingester/otlp):
///
/// - one pprof profile per OTLP profile and `service.name` of its samples'
///   attributes; a sample without one belongs to the resource's service:
///   its `service.name`, else `unknown_service` (`:<process.executable.name>`
///   when the resource names the executable);
/// - the profile type from the sample type and the period type: `samples/count`
///   sampled on `cpu/nanoseconds` becomes `process_cpu` `cpu/nanoseconds`
///   (each count × period); `off_cpu/nanoseconds` with no period becomes
///   `off_cpu`; any other is named after its period type (its sample type
///   when there is none);
/// - the series labels `__name__`, `__delta__="false"`, the resource's and
///   the scope's attributes (first of a key wins), `service_name`; the
///   samples' other attributes become pprof sample labels (so, as for any
///   push, series labels once ingested), a sample's link its `span_id` and
///   `trace_id` labels;
/// - locations keep their mapping and address, lines their function; a
///   mapping's build id is its `process.executable.build_id.gnu` attribute.
///   The whole dictionary is checked and converted once (`Dictionary.symbols()`),
///   so a bad index anywhere in it refuses the request.
///
/// Where Pyroscope is looser, Kiln refuses with an `OTLPError` naming the
/// field: any index outside its dictionary table (Pyroscope drops a whole
/// profile when a sample's attribute index is bad, and answers 500 for other
/// bad indices over HTTP). A sample's values are summed (the spec pairs them
/// with timestamps; Pyroscope sums only off-CPU's and refuses more than one
/// value otherwise); no values and no timestamps is an error; no values with
/// timestamps count one each.
///
/// Cost: linear in the request; each dictionary entry is converted once.
public enum OTLPProfiles {
    public typealias Request = Opentelemetry_Proto_Collector_Profiles_V1development_ExportProfilesServiceRequest

    static let serviceNameKey = "service.name"
    static let executableNameKey = "process.executable.name"
    static let buildIDKey = "process.executable.build_id.gnu"
    /// A profile with no `duration_nano`: Pyroscope's default.
    static let defaultDurationNanos: Int64 = 10_000_000_000

    /// Converts every profile of `request`.
    /// - Parameter nowNanos: the time of a profile whose `time_unix_nano` is 0.
    /// - Throws: `OTLPError` for a missing dictionary, no resource profiles, or a bad index or sample.
    public static func convert(_ request: Request, nowNanos: Int64) throws(OTLPError) -> [DecodedProfile] {
        guard request.hasDictionary else { throw OTLPError(field: "dictionary", "missing profile metadata dictionary") }
        guard !request.resourceProfiles.isEmpty else { throw OTLPError(field: "resource_profiles", "missing resource profiles") }
        let dictionary = Dictionary(request.dictionary)
        let symbols = try dictionary.symbols()
        var out: [DecodedProfile] = []
        for (r, resourceProfiles) in request.resourceProfiles.enumerated() {
            let resource = resourceProfiles.resource.attributes
            let resourceService = serviceName(of: resource)
            for (s, scopeProfiles) in resourceProfiles.scopeProfiles.enumerated() {
                for (p, profile) in scopeProfiles.profiles.enumerated() {
                    let field = "resource_profiles[\(r)].scope_profiles[\(s)].profiles[\(p)]"
                    let converted = try ProfileConversion.convert(profile, dictionary: dictionary, symbols: symbols, field: field, nowNanos: nowNanos)
                    for (service, built) in converted {
                        var labels = [
                            Label(ReservedLabels.delta, "false"), Label(ReservedLabels.otel, "true"), Label(ReservedLabels.name, built.name),
                        ]
                        var seen: Set<String> = [ReservedLabels.name, serviceNameKey]
                        for kv in resource + scopeProfiles.scope.attributes where !seen.contains(kv.key) {
                            guard let value = stringValue(kv.value), !value.isEmpty else { continue }
                            labels.append(Label(kv.key, value))
                            seen.insert(kv.key)
                        }
                        labels.append(Label(ReservedLabels.serviceName, service.isEmpty ? resourceService : service))
                        out.append(DecodedProfile(labels: labels, profile: built.profile))
                    }
                }
            }
        }
        return out
    }

    /// The resource's `service.name`; else `unknown_service`, with `:<process.executable.name>` when there is one.
    static func serviceName(of attributes: [Opentelemetry_Proto_Common_V1_KeyValue]) -> String {
        var fallback = ReservedLabels.unknownService
        for kv in attributes {
            guard let value = stringValue(kv.value), !value.isEmpty else { continue }
            if kv.key == serviceNameKey { return value }
            if kv.key == executableNameKey { fallback += ":" + value }
        }
        return fallback
    }

    /// A string or integer value (or a one-element array of one) as text; nil for any other.
    /// `strings` resolves `string_value_strindex`, which only dictionary attributes may use.
    static func stringValue(_ v: Opentelemetry_Proto_Common_V1_AnyValue, strings: [String] = []) -> String? {
        switch v.value {
        case .stringValue(let s): return s
        case .intValue(let i): return String(i)
        case .stringValueStrindex(let i): return strings.indices.contains(Int(i)) ? strings[Int(i)] : nil
        case .arrayValue(let a) where a.values.count == 1:
            if case .arrayValue = a.values[0].value { return nil }
            return stringValue(a.values[0], strings: strings)
        default: return nil
        }
    }
}
