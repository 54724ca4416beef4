import ArgumentParser
import Foundation
import KilnFormat
import KilnStorage

struct WALList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List segments: size, records, first record type.")

    @Argument(help: "WAL directory.") var directory: String

    func run() throws {
        print("segment   bytes        records  first record")
        for n in try WALSegments.list(directory) {
            let path = WALSegments.path(directory, n)
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            var records = 0
            var first = "-"
            var problem = ""
            bytes.withUnsafeBytes { raw in
                do {
                    var reader = try WALSegmentReader(raw)
                    while let r = try reader.next() {
                        if records == 0 { first = "\(r.type)" }
                        records += 1
                    }
                } catch let f as WALSegmentReader.Failure {
                    problem = "  ! \(f.problem) at byte \(f.offset)"
                } catch {
                    problem = "  ! \(error)"
                }
            }
            print(WALSegments.name(n) + "  " + pad("\(bytes.count)", 12) + " " + pad("\(records)", 8) + " " + first + problem)
        }
    }
}

struct WALDump: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dump", abstract: "Print every record (from the first segment).")

    @Argument(help: "WAL directory.") var directory: String
    @Flag(help: "Also print series labels, symbols and profile samples.") var verbose = false

    func run() throws {
        let torn = try WALScanner.scan(directory) { found in
            let position = "\(WALSegments.name(found.segment))@\(found.record.offset)"
            switch try found.decode() {
            case .ingest(let r):
                print(
                    "\(position) ingest tenant=\(r.tenant) strings+\(r.strings.count) mappings+\(r.mappings.count) functions+\(r.functions.count) locations+\(r.locations.count) stacks+\(r.stackParents.count) series+\(r.series.count) profiles=\(r.profiles.count) samples=\(r.sampleCount)"
                )
                guard verbose else { return }
                for (i, s) in r.series.enumerated() { print("  series \(Int(r.firstSeries) + i) \(s)") }
                for (i, s) in r.strings.enumerated() { print("  string \(Int(r.firstString) + i) \(s.debugDescription)") }
                for p in r.profiles {
                    let samples = zip(p.stacks, p.values).map { "\($0):\($1)" }.joined(separator: " ")
                    print("  profile series=\(p.seriesRef) time=\(p.timeNanos) duration=\(p.durationNanos) samples=[\(samples)]")
                }
            case .checkpoint(let c):
                print("\(position) checkpoint time=\(c.timeNanos) blocks=\(c.blockIDs.joined(separator: ","))")
            case .cumulative(let c):
                print(
                    "\(position) cumulative tenant=\(c.tenant)\(c.snapshot ? " snapshot" : "") series=\(c.series.count) stacks=\(c.series.reduce(0) { $0 + $1.stacks.count })"
                )
                guard verbose else { return }
                for s in c.series {
                    let values = zip(s.stacks, s.values).map { "\(String($0, radix: 16)):\($1)" }.joined(separator: " ")
                    print("  series key=\(String(s.key, radix: 16)) time=\(s.timeNanos)\(s.replace ? " replace" : "") [\(values)]")
                }
            }
        }
        if let torn { print("\(WALSegments.name(torn.segment))@\(torn.offset) torn tail: \(torn.reason)") }
    }
}

struct WALVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every CRC and replay the log into scratch heads; exit 1 on corruption."
    )

    @Argument(help: "WAL directory.") var directory: String

    func run() throws {
        do {
            let stats = try Ingester.replayLog(directory, into: TenantHeads())
            print("ok: \(stats.records) records, \(stats.samples) samples")
            if let torn = stats.truncatedTail {
                print("warning: torn tail in \(torn.path) at byte \(torn.offset): \(torn.reason) (Kiln truncates it on start)")
            }
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
    }
}

struct WALRepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Truncate the log at its first bad record, dropping every later segment. Stop Kiln first."
    )

    @Argument(help: "WAL directory.") var directory: String

    func run() throws {
        let lock: DirectoryLock
        do { lock = try DirectoryLock(directory: directory) } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        defer { lock.release() }
        if let result = try WALRepair.repair(directory) {
            print("repaired: \(result)")
        } else {
            print("nothing to repair")
        }
    }
}

func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("kiln-inspect: " + message + "\n").utf8))
}
