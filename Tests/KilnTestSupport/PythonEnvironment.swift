import Foundation

/// The project's Python environment, which `tools/setup.sh` builds from
/// `tools/python/requirements.txt`: every Python program a test starts
/// (helpers, moto_server, the pyroscope-io agent, pyarrow) runs from it, so
/// no test depends on what the machine's own Python has installed.
public enum PythonEnvironment {
    /// `$KILN_VENV` when set (as tools/setup.sh reads it), else `<repo>/.venv`.
    public static let root: URL = {
        if let path = ProcessInfo.processInfo.environment["KILN_VENV"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return TestData.root.appendingPathComponent(".venv")
    }()

    /// The environment's interpreter.
    public static var python: String { program("python") }

    /// A program the environment installs (`moto_server`).
    public static func program(_ name: String) -> String { root.appendingPathComponent("bin").appendingPathComponent(name).path }
}
