import Foundation
import HummingbirdBcrypt
import KilnProto
import KilnTestSupport
import Testing

/// The daemon refuses to start on a users file it cannot use, naming the
/// file and line (tenant isolation itself is tested in process, `TenantTests`).
@Suite struct TenantEndToEndTests {
    @Test func badUsersFilesStopTheStart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kiln-auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("users")
        try "alice:plaintext\n".write(to: file, atomically: true, encoding: .utf8)
        let r = try Subprocess.run([KilnServerProcess.binaryURL.path, "--auth.basic.htpasswd-file", file.path, "--storage.path", dir.path])
        #expect(r.status == 64 && r.stderr.contains(file.path + ":1") && r.stderr.contains("not bcrypt"), "\(r.stderr)")
    }
}
