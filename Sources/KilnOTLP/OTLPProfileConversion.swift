import Foundation
import KilnPprof
import KilnProto

extension OTLPProfiles {
    /// One OTLP profile turned into pprof profiles, one per sample service.
    struct ProfileConversion {
        typealias OTLPProfile = Opentelemetry_Proto_Profiles_V1development_Profile
        typealias OTLPSample = Opentelemetry_Proto_Profiles_V1development_Sample

        /// How a sample's values become its one pprof value.
        enum ValueRule {
            /// Summed.
            case sum
            /// Summed, then × the profile's period (sample counts → nanoseconds).
            case countsToNanos(period: Int64)
        }

        struct Built {
            var name: String
            var profile: Profile
        }

        /// The pprof profiles of `src`, by service (`""`: the resource's), in first-seen order.
        static func convert(_ src: OTLPProfile, dictionary: Dictionary, symbols: Profile, field: String, nowNanos: Int64) throws(OTLPError) -> [(
            String, Built
        )] {
            guard src.hasSampleType else { throw OTLPError(field: "\(field).sample_type", "sample type is missing") }
            let sampleType = (
                try dictionary.string(src.sampleType.typeStrindex, "\(field).sample_type.type_strindex"),
                try dictionary.string(src.sampleType.unitStrindex, "\(field).sample_type.unit_strindex")
            )
            var periodType: (String, String)?
            if src.hasPeriodType {
                periodType = (
                    try dictionary.string(src.periodType.typeStrindex, "\(field).period_type.type_strindex"),
                    try dictionary.string(src.periodType.unitStrindex, "\(field).period_type.unit_strindex")
                )
            }
            let (name, storedType, rule) = Self.type(sampleType, periodType: src.period != 0 ? periodType : nil, period: src.period)
            var builders: [ProfileBuilder] = []
            var byService: [String: Int] = [:]
            var services: [String] = []
            for (n, sample) in src.samples.enumerated() {
                // Built only for an error message: a path per sample costs more than converting it.
                let at = { "\(field).samples[\(n)]" }
                let service = try dictionary.serviceName(in: sample.attributeIndices, "\(at()).attribute_indices")
                let b: Int
                if let i = byService[service] {
                    b = i
                } else {
                    b = builders.count
                    byService[service] = b
                    services.append(service)
                    builders.append(
                        ProfileBuilder(
                            sampleType: storedType, periodType: periodType, period: src.period,
                            timeNanos: src.timeUnixNano == 0 ? nowNanos : Int64(clamping: src.timeUnixNano),
                            durationNanos: src.durationNano == 0 ? defaultDurationNanos : Int64(clamping: src.durationNano),
                            dictionary: dictionary, symbols: symbols))
                }
                try builders[b].add(sample, rule: rule, field: at())
            }
            return zip(services, builders).map { ($0, Built(name: name, profile: $1.profile)) }
        }

        /// The profile name, the stored sample type and the value rule for a
        /// sample type and (when the period is not 0) period type, as Pyroscope names them.
        static func type(_ sampleType: (String, String), periodType: (String, String)?, period: Int64) -> (String, (String, String), ValueRule) {
            switch (sampleType, periodType) {
            case (("samples", "count"), ("cpu", "nanoseconds")?): return ("process_cpu", ("cpu", "nanoseconds"), .countsToNanos(period: period))
            case (("off_cpu", "nanoseconds"), nil): return ("off_cpu", sampleType, .sum)
            default:
                let name = periodType?.0 ?? ""
                return (name.isEmpty ? sampleType.0 : name, sampleType, .sum)
            }
        }
    }
}
