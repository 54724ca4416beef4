/// Names and lists the segment files of a WAL directory.
public enum WALSegments {
    /// Segment numbers are 8 decimal digits, zero-padded.
    public static let nameLength = 8

    public static func name(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, nameLength - digits.count)) + digits
    }

    public static func path(_ directory: String, _ n: Int) -> String { directory + "/" + name(n) }

    /// The segment numbers present, ascending. Other files are ignored.
    public static func list(_ directory: String) throws -> [Int] {
        try FileIO.list(directory)
            .filter { $0.utf8.count == nameLength && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
            .compactMap { Int($0) }
            .sorted()
    }
}
