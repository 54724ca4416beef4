import KilnModel
import KilnQuery
import KilnStorage
import KilnTestSupport
import Testing

/// A query over budget stops: too many samples before any page is read, a
/// passed deadline between pages; within budget, the same answer as without.
@Suite struct QueryBudgetTests {
    /// The hot golden block (KilnStorageTests' `GoldenBlockTests.hot`): 12 series of Go CPU and heap profiles.
    static let hotGoldenBlock = "01HF7YAT00891028T5CY4TQKFF"

    @Test func budgetsStopQueriesWithAClearError() async throws {
        let block = try await Block(path: TestData.url("blocks/" + Self.hotGoldenBlock).path)
        let cpu = try ProfileTypeID(parsing: "process_cpu:cpu:nanoseconds:cpu:nanoseconds")
        let free = try await Query(sources: [block]).mergeStacktraces(profileType: cpu, selector: LabelSelector(), range: .all, maxNodes: 100)

        var small = Query(sources: [block])
        small.budget = QueryBudget(maxSamples: 10)
        do {
            _ = try await small.mergeStacktraces(profileType: cpu, selector: LabelSelector(), range: .all, maxNodes: 100)
            Issue.record("a query over its sample limit answered")
        } catch let e as QueryError {
            guard case .tooLarge(let samples, 10) = e else {
                Issue.record("\(e)")
                return
            }
            #expect(samples > 10 && "\(e)".contains("--query.max-samples"))
        }

        var late = Query(sources: [block])
        late.budget = QueryBudget(timeout: .zero)
        await #expect(throws: QueryError.deadlineExceeded(.zero)) {
            try await late.mergeProfile(profileType: cpu, selector: LabelSelector(), range: .all)
        }

        // The client went away: the server's flag stops the query at its first check.
        let gone = QueryCancellation()
        gone.cancel()
        var abandoned = Query(sources: [block])
        abandoned.budget = QueryBudget(timeout: .seconds(60), cancellation: gone)
        await #expect(throws: CancellationError.self) {
            try await abandoned.mergeStacktraces(profileType: cpu, selector: LabelSelector(), range: .all, maxNodes: 100)
        }

        var ample = Query(sources: [block])
        ample.budget = QueryBudget(timeout: .seconds(60), maxSamples: 1_000_000)
        #expect(try await ample.mergeStacktraces(profileType: cpu, selector: LabelSelector(), range: .all, maxNodes: 100) == free)
    }
}
