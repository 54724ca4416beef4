import Foundation

/// Makes JFR recordings on this machine with Debian's JDK, the way the
/// golden ones in `testdata/jfr/` were made: compiles `testdata/jfr/Workload.java`
/// with `javac`, runs it under `java -XX:StartFlightRecording` (settings
/// `profile`, TLAB events on), and reads the result back with the JDK's own
/// `jfr print --json`, the ground truth a reader is checked against.
public enum JDKRecording {
    /// The event types `jfr print` is asked for: the profiling events Kiln
    /// reads and the settings (a sampling period is one).
    public static let printedEvents = [
        "jdk.ExecutionSample", "jdk.ObjectAllocationSample", "jdk.ObjectAllocationInNewTLAB", "jdk.ObjectAllocationOutsideTLAB",
        "jdk.JavaMonitorEnter", "jdk.ThreadPark", "jdk.ActiveSetting",
    ]
    /// JFR's default stack depth (`stackdepth=64`); `jfr print` prints 5 frames unless told.
    public static let stackDepth = 64

    /// The `-XX:StartFlightRecording` options of the golden recordings.
    public static func recordingOption(file: String) -> String {
        "-XX:StartFlightRecording=filename=\(file),settings=profile,jdk.ObjectAllocationInNewTLAB#enabled=true,jdk.ObjectAllocationOutsideTLAB#enabled=true"
    }

    /// Records `Workload` running for `milliseconds` into a new file under
    /// `directory`; returns its path.
    public static func record(milliseconds: Int, in directory: String) throws -> String {
        let classes = directory + "/classes"
        try FileManager.default.createDirectory(atPath: classes, withIntermediateDirectories: true)
        let javac = try Subprocess.run(["javac", "-d", classes, TestData.url("jfr/Workload.java").path])
        guard javac.status == 0 else {
            throw SubprocessError(message: "javac failed (is a JDK installed? tools/setup.sh installs one): \(javac.stderr)")
        }
        let file = directory + "/workload.jfr"
        let java = try Subprocess.run(["java", recordingOption(file: file), "-cp", classes, "Workload", "\(milliseconds)"])
        guard java.status == 0, FileManager.default.fileExists(atPath: file) else {
            throw SubprocessError(message: "java -XX:StartFlightRecording failed (\(java.status)): \(java.stderr)")
        }
        return file
    }

    /// `jfr print --json` of `file`'s `printedEvents`.
    public static func printJSON(_ file: String) throws -> [UInt8] {
        let r = try Subprocess.run([
            "jfr", "print", "--json", "--stack-depth", "\(stackDepth)", "--events", printedEvents.joined(separator: ","), file,
        ])
        guard r.status == 0 else { throw SubprocessError(message: "jfr print failed: \(r.stderr)") }
        return Array(r.stdout.utf8)
    }
}
