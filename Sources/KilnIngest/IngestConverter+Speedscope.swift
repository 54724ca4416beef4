import KilnModel

extension IngestConverter {
    /// `format=speedscope`: each profile of the file becomes a folded upload,
    /// as Pyroscope puts them (shared/reference/pyroscope-api.md §3.3):
    /// - with several profiles, the app name gets the unit as its suffix
    ///   (`app.seconds` → `wall`, `app.bytes` → `memory`), which picks the
    ///   profile type; one profile keeps the name (`cpu` without a suffix);
    /// - each carries `profile_name=<its name>`, so profiles of one upload
    ///   stay apart;
    /// - the default `sampleRate` (100) is replaced by the unit's, which
    ///   turns times into nanoseconds.
    ///
    /// The upload's size is shared out evenly over its profiles, so the rate
    /// limit counts the body once.
    static func speedscope(_ request: IngestRequest, body: [UInt8], limits: IngestLimits) throws(IngestError) -> [IngestProfile] {
        let file: SpeedscopeFile
        do { file = try SpeedscopeFile(json: body) } catch { throw IngestError(.unprocessable, "speedscope: \(error)") }
        var out: [IngestProfile] = []
        for (i, profile) in file.profiles.enumerated() {
            var upload = request
            if file.profiles.count > 1 { upload.appName += "." + profile.unit.rawValue }
            upload.labels.removeAll { $0.name == "profile_name" }
            upload.labels.append(Label("profile_name", profile.name))
            if upload.sampleRate == IngestRequest.defaultSampleRate { upload.sampleRate = profile.unit.defaultSampleRate }
            let share = body.count / file.profiles.count + (i < body.count % file.profiles.count ? 1 : 0)
            out += try stacks(upload, profile.stacks, limits: limits, sizeBytes: share)
        }
        return out
    }
}
