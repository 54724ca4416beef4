import KilnArrow
import KilnModel
import KilnPprof

/// Parca Agent's `WriteArrow` payload — Parca's v2 sample record in an Arrow
/// IPC stream (shared/reference/parca-api.md §4.4) — as pprof profiles with
/// series labels, read the way Parca's normalizer reads it
/// (pkg/normalizer/arrow_v2.go): columns by name (order and unknown columns
/// do not matter); a row is one sample of `value` for the stack `stacktrace`
/// (leaf first, as the agent sends it); `producer` names the profile
/// (`__name__`: `parca_agent` for CPU, `memory`…), `sample_type`,
/// `sample_unit`, `period_type`, `period_unit` and `period` its type as
/// sent (so CPU stays `samples/count`, as Parca stores it, and Parca's
/// `parca_agent:samples:count:cpu:nanoseconds:delta` finds it);
/// `temporality` is ignored, as Parca ignores it: values are stored as sent
/// (`__delta__="false"`), never differenced, even for types Kiln treats as
/// cumulative when Go's runtime sends them (`memory` `alloc_space`). Each child of `labels`
/// is a label (null or empty: absent). `service_name`, which Pyroscope's
/// APIs need, is the label of that name, else `job`, else `comm` (the
/// process the agent sampled), else `unknown_service`.
///
/// Rows of one series (labels and type) in the same 10 s of `timestamp`
/// (nanoseconds) form one profile, timed at its first row: the agent stamps
/// every row, Kiln stores profiles (as Pyroscope's agents send them, one per 10 s). Symbols: one location per distinct
/// location dictionary entry (address; mapping from `mapping_file` and
/// `mapping_build_id`, none when both are null; lines from `lines`, each a
/// function of `system_name` and `filename`); a location without lines is
/// unsymbolized (Kiln shows its address).
///
/// Cost: O(rows × stack depth) with hash lookups; each dictionary entry is
/// converted once per profile that uses it.
public enum ParcaArrowSamples {
    static let schemaVersionKey = "parca_write_schema_version"
    /// Rows of a series in one such window share a profile: the 10 s Pyroscope's agents upload at,
    /// so a profile of Parca Agent's weighs what theirs do (the agent itself flushes every few seconds).
    static let profileWindowNanos: Int64 = 10_000_000_000
    static let required = [
        "labels", "stacktrace", "value", "producer", "sample_type", "sample_unit", "period_type", "period_unit", "period", "duration", "timestamp",
    ]

    /// - Throws: `IngestError.invalidArgument` naming the column for a stream that is not a v2 sample record.
    public static func convert(_ stream: ArrowStreamReader.Stream) throws(IngestError) -> [DecodedProfile] {
        guard let version = stream.metadata[schemaVersionKey] else {
            throw IngestError(.invalidArgument, "missing schema version in metadata (\(schemaVersionKey))")
        }
        guard version == "v2" else { throw IngestError(.invalidArgument, "unsupported schema version \"\(version)\"") }
        var groups = Groups()
        for batch in stream.batches {
            var columns: [String: ArrowArray] = [:]
            for c in batch.columns { columns[c.field.name] = c }
            for name in required where columns[name] == nil { throw IngestError(.invalidArgument, "missing column \"\(name)\"") }
            try groups.add(Columns(columns, stream: stream), rows: batch.length)
        }
        return groups.converted()
    }
}
