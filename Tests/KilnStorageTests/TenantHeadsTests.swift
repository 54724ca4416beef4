import KilnHead
import KilnIngest
import KilnModel
import KilnStorage
import KilnTestSupport
import Testing

@Suite struct TenantHeadsTests {
    func ingest(_ file: String, labels: [Label], time: Int64 = 1) throws -> IngestProfile {
        try PushConverter.convert(labels: labels, rawProfile: TestData.withoutSampleLabels(file), id: "", nowNanos: time)
    }

    @Test func tenantHeadsAreSeparate() throws {
        let heads = TenantHeads()
        heads.head(for: "a").append([try ingest("pprof/go-mutex.pb.gz", labels: [Label("__name__", "mutex")])])
        #expect(heads.existingHead(for: "b") == nil)
        #expect(heads.head(for: "a") === heads.head(for: "a"))
        #expect(heads.head(for: "a").read { $0.series.count } == 2)
        #expect(heads.head(for: "b").read { $0.series.count } == 0)
    }
}
