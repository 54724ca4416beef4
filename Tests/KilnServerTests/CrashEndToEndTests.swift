import Foundation
import KilnPprof
import KilnProto
import KilnTestSupport
import SwiftProtobuf
import Synchronization
import Testing

/// The real `kiln` binary under concurrent pushers, killed with SIGKILL at
/// random moments and restarted on the same data directory: every
/// acknowledged push must be queryable exactly once, and no push may appear
/// half-applied.
@Suite struct CrashEndToEndTests {
    static let rounds = 5
    static let pushers = 4

    /// One push = two series (parts a and b) with values v and 2v: a push that
    /// survives whole sums to 3v for its service; exactly once means not 6v.
    static func push(service: String, value: Int64, timeNanos: Int64) throws -> [UInt8] {
        var req = Push_V1_PushRequest()
        for (part, v) in [("a", value), ("b", 2 * value)] {
            var b = ProfileBuilder(sampleTypes: [("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"), period: 10_000_000)
            b.addSample(stack: ["main", "work", part], values: [v])
            var series = Push_V1_RawProfileSeries()
            series.labels = [("__name__", "process_cpu"), ("service_name", service), ("part", part)].map {
                var l = Types_V1_LabelPair()
                l.name = $0.0
                l.value = $0.1
                return l
            }
            var sample = Push_V1_RawSample()
            sample.rawProfile = Data(PprofEncoder.encode(b.build(timeNanos: timeNanos)))
            series.samples = [sample]
            req.series.append(series)
        }
        return try req.serializedBytes()
    }

    @Test(.timeLimit(.minutes(5)))
    func acknowledgedPushesSurviveSIGKILL() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-crash-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let acknowledged = Mutex<[String: Int64]>([:])  // service → value
        let attempted = Mutex<[String: Int64]>([:])
        var rng = SystemRandomNumberGenerator()
        let start = Int64(Date().timeIntervalSince1970 * 1000)

        for round in 0..<Self.rounds {
            let server = try KilnServerProcess(dataDirectory: data)
            // Everything acknowledged in earlier rounds survived the kill.
            try Self.verify(server, acknowledged: acknowledged.withLock { $0 }, attempted: attempted.withLock { $0 }, startMs: start)

            let stop = Atomic<Bool>(false)
            let group = DispatchGroup()
            for w in 0..<Self.pushers {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    var i = 0
                    while !stop.load(ordering: .relaxed) {
                        let service = "r\(round)-w\(w)-\(i)"
                        let value = Int64(1000 + round * 100_000 + w * 10_000 + i)
                        i += 1
                        attempted.withLock { $0[service] = value }
                        guard let body = try? Self.push(service: service, value: value, timeNanos: Int64(Date().timeIntervalSince1970 * 1e9)),
                            let r = try? server.post("/push.v1.PusherService/Push", headers: [("Content-Type", "application/proto")], body: body)
                        else { return }  // the server is gone
                        if r.status == 200 { acknowledged.withLock { $0[service] = value } }
                    }
                }
            }
            usleep(UInt32.random(in: 200_000...900_000, using: &rng))
            server.kill()
            stop.store(true, ordering: .relaxed)
            group.wait()
            #expect(server.exitStatus != 0)
        }
        let acked = acknowledged.withLock { $0 }
        #expect(acked.count > 50, "only \(acked.count) pushes were acknowledged")
        print("crash test: \(Self.rounds) SIGKILL rounds, \(acked.count) pushes acknowledged of \(attempted.withLock { $0.count }) attempted")
        let server = try KilnServerProcess(dataDirectory: data)
        try Self.verify(server, acknowledged: acked, attempted: attempted.withLock { $0 }, startMs: start)
        server.stop()
    }

    /// Every acknowledged service is present with total 3v; every present service
    /// was attempted and is whole (3v).
    static func verify(_ server: KilnServerProcess, acknowledged: [String: Int64], attempted: [String: Int64], startMs: Int64) throws {
        let client = ConnectClient(server: server)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let series = try client.series(
            "process_cpu:cpu:nanoseconds:cpu:nanoseconds", start: startMs - 60_000, end: now + 60_000,
            step: Double(now - startMs + 120_000) / 1000, groupBy: ["service_name"])
        var found: [String: Int64] = [:]
        for s in series {
            let name = s.labels.first { $0.name == "service_name" }?.value ?? ""
            found[name] = Int64(s.points.reduce(0) { $0 + $1.value })
        }
        for (service, v) in acknowledged {
            #expect(found[service] == 3 * v, "acknowledged push \(service) has total \(found[service] ?? 0), want \(3 * v)")
        }
        for (service, total) in found {
            guard let v = attempted[service] else {
                Issue.record("unexpected service \(service)")
                continue
            }
            #expect(total == 3 * v, "push \(service) is half-applied or duplicated: total \(total), want \(3 * v)")
        }
    }
}
