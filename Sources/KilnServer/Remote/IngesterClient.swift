import Foundation
import KilnCurl
import KilnModel
import KilnProto
import KilnQuery
import SwiftProtobuf

/// A querier's side of the internal head API: one tenant's `HeadRequest`
/// sent to every ingester of `--querier.ingesters` at once
/// (`POST <address>/kiln.ingester.v1.IngesterService/SelectHead`, protobuf),
/// their extracts returned in address order.
///
/// Any ingester that does not answer fails the query: its heads hold the
/// recent data no block has yet, and an answer without them would be
/// silently short. So do two answers naming the same `--ingester.id`: such
/// ingesters adopt and merge the same blocks, counting their data twice.
/// Credentials go in the address (`http://user:pass@host:port`); libcurl
/// sends them as basic auth; messages show the address without the password.
struct IngesterClient: RemoteHeads {
    static let path = "/kiln.ingester.v1.IngesterService/SelectHead"
    /// A head request with no deadline of its own waits this long: the
    /// server's query timeout default (ServerConfig.queryTimeout).
    static let defaultTimeout: Duration = .seconds(60)

    let addresses: [String]
    let tenant: String

    func extracts(_ request: HeadRequest, knownBlocks: [String], coveredBlocks: [String], budget: QueryBudget) async throws -> RemoteAnswer {
        var message = request.proto(knownBlocks: knownBlocks)
        message.coveredBlocks = coveredBlocks
        let body = try message.serializedBytes() as [UInt8]
        let timeout = budget.deadline.map { max($0 - .now, .milliseconds(1)) } ?? Self.defaultTimeout
        let timeoutMs = Int(max(timeout.milliseconds, 1))
        let answers = try await withThrowingTaskGroup(of: (Int, Kiln_Ingester_V1_SelectHeadResponse).self) { group in
            for (i, address) in addresses.enumerated() {
                group.addTask { (i, try await call(address, body: body, timeoutMs: timeoutMs)) }
            }
            var out = [Kiln_Ingester_V1_SelectHeadResponse?](repeating: nil, count: addresses.count)
            for try await (i, r) in group { out[i] = r }
            return out.compactMap { $0 }
        }
        var extracts: [HeadExtract] = []
        var answered: [String: String] = [:]  // ingester id: address
        for (address, answer) in zip(addresses, answers) {
            if let other = answered.updateValue(address, forKey: answer.ingesterID) {
                throw SharedIngesterID(addresses: [other, address], id: answer.ingesterID)
            }
            for e in answer.extracts {
                do { extracts.append(try HeadExtract(proto: e, detail: request.detail)) } catch {
                    throw IngesterError(address: address, code: .internal, message: "\(error)")
                }
            }
        }
        return RemoteAnswer(extracts: extracts, staleBlocks: answers.flatMap(\.staleBlocks))
    }

    private func call(_ address: String, body: [UInt8], timeoutMs: Int) async throws -> Kiln_Ingester_V1_SelectHeadResponse {
        let headers = [("Content-Type", "application/proto"), ("X-Scope-OrgID", tenant), ("Connect-Timeout-Ms", "\(timeoutMs)")]
        let url = address + Self.path
        let response: HTTPResponse
        do {
            response = try await HTTPClient.send("POST", url, headers: headers, body: body, timeoutMs: timeoutMs, connectTimeoutMs: 5000)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw IngesterError(address: address, code: .unavailable, message: "\(error)")
        }
        guard response.status == 200 else {
            // A Connect error: {"code": …, "message": …}; anything else is reported by status.
            let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
            let code = (json?["code"] as? String).flatMap(ConnectError.Code.init(rawValue:)) ?? .unavailable
            let message = json?["message"] as? String ?? "HTTP \(response.status)"
            throw IngesterError(address: address, code: code, message: message)
        }
        do {
            return try Kiln_Ingester_V1_SelectHeadResponse(serializedBytes: response.body)
        } catch {
            throw IngesterError(address: address, code: .internal, message: "the answer does not decode: \(error)")
        }
    }
}

/// An ingester that did not answer a querier's head request.
struct IngesterError: Error, CustomStringConvertible {
    let address: String
    /// The ingester's Connect code, or `unavailable` when it could not be reached.
    let code: ConnectError.Code
    let message: String

    var description: String { "ingester \(ServerConfig.redacted(address)): \(message)" }

    /// What the querier answers its client: the ingester's verdict on the
    /// query itself (too large, too long, out of time) is passed on; any
    /// other failure is the ingester's, so 503.
    var connectError: ConnectError {
        switch code {
        case .invalidArgument, .deadlineExceeded, .canceled, .resourceExhausted: ConnectError(code, description)
        default: ConnectError(.unavailable, "\(description); the ingester's recent data cannot be read, try again later")
        }
    }
}

/// Two of a querier's ingesters answered with one `--ingester.id`: they
/// adopt and merge the same blocks (or one ingester is listed under two
/// addresses). No retry helps, so the query fails with 500.
struct SharedIngesterID: Error, CustomStringConvertible {
    let addresses: [String]
    let id: String

    var description: String {
        let name = id.isEmpty ? "no --ingester.id" : "--ingester.id=\(id)"
        return "ingesters \(addresses.map(ServerConfig.redacted).joined(separator: " and ")) both run with \(name): "
            + "ingesters sharing a bucket need ids of their own, and --querier.ingesters lists each once"
    }
}
