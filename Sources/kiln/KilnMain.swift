import ArgumentParser
import Foundation

/// Reads the command line and the config file it names (`Invocation`),
/// then runs `Kiln`; a bad flag, key or value stops the start with exit 64
/// and a message naming it.
@main
enum KilnMain {
    static func main() async {
        var command: Kiln
        do {
            let invocation = try Invocation(Array(CommandLine.arguments.dropFirst()))
            do {
                command = try invocation.command()
            } catch {
                // A bad value from the file: name the file and the key.
                let message = Kiln.message(for: error)
                if Kiln.exitCode(for: error) != .success, let file = invocation.file, let key = invocation.fileKey(naming: message) {
                    fail("config file \(file.path), key \(key): \(message)")
                }
                Kiln.exit(withError: error)
            }
        } catch let e as ConfigFile.Invalid {
            fail("\(e)")
        } catch let e as FlagResolver.Refused {
            fail("\(e)")
        } catch {
            Kiln.exit(withError: error)
        }
        do { try await command.run() } catch { Kiln.exit(withError: error) }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        Kiln.exit(withError: ExitCode.validationFailure)
    }
}
