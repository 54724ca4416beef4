import ArgumentParser
import Foundation
import Glibc
import KilnCurl
import KilnStorage

/// Object-store throughput: uploads (single PUT and multipart) and ranged
/// reads against an S3-compatible server, with the filesystem provider
/// measured in the same run as the baseline. Starts its own moto_server on
/// 127.0.0.1 unless `--endpoint` names one (bucket created if missing).
struct ObjectStoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objstore",
        abstract: "Upload and ranged-read throughput: S3 (moto_server) against the filesystem provider."
    )

    @Option(help: "S3 endpoint; default: start moto_server on a free 127.0.0.1 port.") var endpoint: String?
    @Option(help: "Objects of 8 MiB to upload and read back.") var objects = 16
    @Option(help: "Ranged reads of 64 KiB.") var ranges = 400

    func run() async throws {
        let (s3, moto) = try await Self.bucket(endpoint)
        defer { if let moto { kill(moto.processIdentifier, SIGKILL) } }
        let root = NSTemporaryDirectory() + "kiln-bench-objstore-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fs = try FileSystemObjectStore(root: root)

        print("provider     PUT 8 MiB MB/s   multipart 80 MiB MB/s   GET 8 MiB MB/s   64 KiB ranged GETs/s   ranged MB/s")
        for (name, store) in [("filesystem", fs as any ObjectStore), ("s3 (moto)", s3 as any ObjectStore)] {
            let object = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
            var t = Date()
            for i in 0..<objects { try await store.put("bench/obj-\(i)", object) }
            let put = Double(objects * object.count) / Date().timeIntervalSince(t) / 1e6
            let big = [UInt8](repeating: 7, count: 80 << 20)
            t = Date()
            try await store.put("bench/big", big)
            let multipart = Double(big.count) / Date().timeIntervalSince(t) / 1e6
            t = Date()
            for i in 0..<objects { _ = try await store.get("bench/obj-\(i)") }
            let get = Double(objects * object.count) / Date().timeIntervalSince(t) / 1e6
            var rng = SystemRandomNumberGenerator()
            t = Date()
            for _ in 0..<ranges {
                let start = Int.random(in: 0..<(object.count - 65_536), using: &rng)
                _ = try await store.get("bench/obj-\(Int.random(in: 0..<objects, using: &rng))", range: start..<(start + 65_536))
            }
            let seconds = Date().timeIntervalSince(t)
            print(
                name.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(
                        format: " %16.1f %23.1f %16.1f %22.0f %13.1f", put, multipart, get, Double(ranges) / seconds,
                        Double(ranges * 65_536) / seconds / 1e6))
        }
    }

    /// The bucket `kiln-bench` at `endpoint`, or on a moto_server started on a
    /// free 127.0.0.1 port (returned, for the caller to kill): the one in the
    /// project's Python environment (`$KILN_VENV`, else `.venv` in the working
    /// directory, which tools/setup.sh builds).
    static func bucket(_ endpoint: String?) async throws -> (S3ObjectStore, Process?) {
        var moto: Process?
        let url: String
        if let endpoint {
            url = endpoint
        } else {
            let port = try Self.freePort()
            let p = Process()
            let venv = ProcessInfo.processInfo.environment["KILN_VENV"].flatMap { $0.isEmpty ? nil : $0 } ?? ".venv"
            p.executableURL = URL(fileURLWithPath: venv + "/bin/moto_server")
            p.arguments = ["-H", "127.0.0.1", "-p", "\(port)"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            moto = p
            url = "http://127.0.0.1:\(port)"
            try await Task.sleep(for: .seconds(2))
        }
        let sign = HTTPClient.SigV4(region: "us-east-1", accessKey: "bench", secretKey: "bench")
        _ = try HTTPClient.request("PUT", url + "/kiln-bench", headers: [("x-amz-content-sha256", "UNSIGNED-PAYLOAD")], sign: sign)
        return (S3ObjectStore(S3Config(endpoint: url, region: "us-east-1", bucket: "kiln-bench", accessKey: "bench", secretKey: "bench")), moto)
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw ValidationError("cannot bind a port on 127.0.0.1") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
