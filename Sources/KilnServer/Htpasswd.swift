/// A users file in Apache's htpasswd format, bcrypt entries only: one
/// `name:hash` per line (`htpasswd -B`, or any bcrypt `$2a$`/`$2b$`/`$2y$`
/// hash), `#` comments and blank lines ignored. Passwords are never stored
/// in plain text.
public enum Htpasswd {
    public struct Invalid: Error, CustomStringConvertible {
        public let path: String
        public let line: Int
        public let reason: String
        public var description: String { "\(path):\(line): \(reason)" }
    }

    /// name → bcrypt hash.
    /// - Throws: `Invalid` naming the file and line of the first bad entry.
    public static func parse(_ text: String, path: String) throws(Invalid) -> [String: String] {
        var users: [String: String] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw Invalid(path: path, line: i + 1, reason: "want name:hash")
            }
            let name = String(line[..<colon])
            let hash = String(line[line.index(after: colon)...])
            guard ["$2a$", "$2b$", "$2y$"].contains(where: hash.hasPrefix), hash.utf8.count == 60 else {
                throw Invalid(path: path, line: i + 1, reason: "the hash of \(name) is not bcrypt (create it with htpasswd -B)")
            }
            guard users.updateValue(hash, forKey: name) == nil else {
                throw Invalid(path: path, line: i + 1, reason: "user \(name) is listed twice")
            }
        }
        return users
    }
}
