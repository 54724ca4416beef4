import KilnPprof

/// Decoding and value checks shared by every ingest path.
enum ProfileDecoding {
    /// Decodes a pprof upload, mapping decoder errors to ingest errors
    /// (`tooLarge` for size limits, `unprocessable` for malformed bytes), and
    /// rejects profiles whose positive values of one type sum past 64 bits, so
    /// nothing downstream can overflow on them.
    static func decode(_ bytes: [UInt8], maxBytes: Int, context: String) throws(IngestError) -> Profile {
        let profile: Profile
        do {
            profile = try PprofDecoder.decode(bytes, maxDecompressedBytes: maxBytes)
        } catch {
            throw IngestError(error.tooLarge ? .tooLarge : .unprocessable, context.isEmpty ? "\(error)" : "\(context): \(error)")
        }
        try checkValues(profile)
        return profile
    }

    static func checkValues(_ p: Profile) throws(IngestError) {
        let n = p.sampleTypes.count
        guard n > 0 else { return }
        var sums = [Int64](repeating: 0, count: n)
        for (i, v) in p.sampleValues.enumerated() where v > 0 {
            let (s, overflow) = sums[i % n].addingReportingOverflow(v)
            guard !overflow else {
                throw IngestError(.unprocessable, "the values of sample type \(p.strings[p.sampleTypes[i % n].type]) sum past 64 bits")
            }
            sums[i % n] = s
        }
    }
}
