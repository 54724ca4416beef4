import ArgumentParser
import Foundation
import KilnBytes
import KilnFormat
import KilnHead
import KilnModel
import KilnStorage
import Logging

struct BlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block",
        abstract: "Blocks (a block directory, a tenant's directory such as ./data/blocks/anonymous, or ./data/blocks).",
        subcommands: [BlockList.self, BlockShow.self, BlockDump.self, BlockVerify.self, BlockCut.self, BlockCompact.self]
    )
}

/// The block directories under `path`: itself when it holds a meta.json,
/// else its ULID-named children, else its children's (tenants') children.
func blockDirectories(_ path: String) throws -> [String] {
    let fm = FileManager.default
    if fm.fileExists(atPath: path + "/" + BlockSchema.metaFile) { return [path] }
    let children = try fm.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
    let blocks = children.filter { ULID(URL(fileURLWithPath: $0).lastPathComponent) != nil }
    if !blocks.isEmpty { return blocks }
    return try children.filter { fm.fileExists(atPath: $0 + "/.") }.flatMap { dir in
        try fm.contentsOfDirectory(atPath: dir).sorted().filter { ULID($0) != nil }.map { dir + "/" + $0 }
    }
}

func iso(_ nanos: Int64) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date(timeIntervalSince1970: Double(nanos) / 1e9))
}

func bytes(_ n: Int) -> String {
    n >= 10 << 20 ? String(format: "%.1f MiB", Double(n) / 1_048_576) : n >= 10 << 10 ? String(format: "%.1f KiB", Double(n) / 1024) : "\(n) B"
}

struct BlockList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List blocks: time range, level, codec, series, profiles, samples, size, bytes per sample, owning ingester.")

    @Argument(help: "Block, tenant or blocks directory.") var path: String

    func run() throws {
        print(
            "ulid                        tenant       level codec  min time                       max time                       series  profiles    samples        size  B/sample  ingester"
        )
        for dir in try blockDirectories(path) {
            do {
                let meta = try BlockMeta.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + BlockSchema.metaFile))), path: dir)
                let size = meta.files.reduce(0) { $0 + $1.size }
                let perSample = meta.stats.samples > 0 ? String(format: "%.2f", Double(size) / Double(meta.stats.samples)) : "-"
                print(
                    meta.ulid + "  " + meta.tenant.padding(toLength: 12, withPad: " ", startingAt: 0) + " " + pad("\(meta.level)", 5) + " "
                        + meta.codec.padding(toLength: 6, withPad: " ", startingAt: 0) + " "
                        + iso(meta.minTimeNanos).padding(toLength: 30, withPad: " ", startingAt: 0)
                        + " " + iso(meta.maxTimeNanos).padding(toLength: 30, withPad: " ", startingAt: 0) + " " + pad("\(meta.stats.series)", 6)
                        + " " + pad("\(meta.stats.profiles)", 9) + " " + pad("\(meta.stats.samples)", 10) + " " + pad(bytes(size), 11) + " "
                        + pad(perSample, 9) + "  " + (meta.ingester ?? "-"))
            } catch {
                print(URL(fileURLWithPath: dir).lastPathComponent + "  ! \(error)")
            }
        }
    }
}

struct BlockShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a block's tables and columns: pages, rows, encodings, codecs, raw and stored sizes, compression ratios.")

    @Argument(help: "Block directory.") var path: String
    @Flag(help: "Also list every page: offset, rows, encoding, codec, raw and stored size, min and max.") var pages = false

    func run() throws {
        let meta = try BlockMeta.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/" + BlockSchema.metaFile))), path: path)
        print(
            "block \(meta.ulid) tenant=\(meta.tenant) level=\(meta.level) codec=\(meta.codec) version=\(meta.version) sources=\(meta.sources.joined(separator: ","))"
                + (meta.ingester.map { " ingester=\($0)" } ?? ""))
        print(
            "time \(iso(meta.minTimeNanos)) … \(iso(meta.maxTimeNanos)); \(meta.stats.series) series, \(meta.stats.profiles) profiles, \(meta.stats.samples) samples, \(meta.stats.stacks) stack nodes, \(meta.stats.locations) locations, \(meta.stats.functions) functions, \(meta.stats.strings) strings"
        )
        for file in [BlockSchema.indexFile, BlockSchema.symbolsFile, BlockSchema.profilesFile] {
            let filePath = path + "/" + file
            let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: filePath)))
            let columnar: ColumnarFile
            do { columnar = try ColumnarFile(bytes: data) } catch {
                print("\n\(file): ! \(error)")
                throw ExitCode(1)
            }
            print("\n\(file)  \(bytes(data.count))")
            print(
                "  table.column                      rows  pages  encodings                         codecs       raw        stored     ratio  B/row")
            for table in columnar.footer.tables {
                for (c, column) in table.columns.enumerated() {
                    var encodings: [ColumnEncoding: Int] = [:]
                    var codecs: [PageCodec: Int] = [:]
                    var raw = 0
                    var stored = 0
                    let pageList = table.pages(column: c)
                    var lines: [String] = []
                    for page in pageList {
                        let header = try data.withDecodableBytes { buffer throws(DecodeError) in
                            var r = ByteReader(buffer, range: page.offset..<(page.offset + page.size))
                            return try Page.decodeHeader(&r, type: column.type)
                        }
                        encodings[header.encoding, default: 0] += 1
                        codecs[header.codec, default: 0] += 1
                        raw += header.rawSize
                        stored += page.size
                        if pages {
                            let signed = column.type == .int64
                            let stats =
                                header.statistics.map {
                                    signed ? "min \(Int64(bitPattern: $0.min)) max \(Int64(bitPattern: $0.max))" : "min \($0.min) max \($0.max)"
                                } ?? ""
                            lines.append(
                                "      page @\(page.offset) rows \(page.firstRow)..<\(page.firstRow + page.rows) \(header.encoding) \(header.codec.name) raw \(header.rawSize) stored \(page.size) \(stats)"
                            )
                        }
                    }
                    let enc = encodings.sorted { $0.value > $1.value }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
                    let cod = codecs.sorted { $0.value > $1.value }.map { "\($0.key.name)×\($0.value)" }.joined(separator: " ")
                    let ratio = stored > 0 ? String(format: "%.2f", Double(raw) / Double(stored)) : "-"
                    let perRow = table.rows > 0 ? String(format: "%.2f", Double(stored) / Double(table.rows)) : "-"
                    print(
                        "  " + "\(table.name).\(column.name)".padding(toLength: 28, withPad: " ", startingAt: 0) + pad("\(table.rows)", 10)
                            + pad("\(pageList.count)", 7)
                            + "  " + enc.padding(toLength: 33, withPad: " ", startingAt: 0) + " "
                            + cod.padding(toLength: 12, withPad: " ", startingAt: 0)
                            + pad(bytes(raw), 10) + " " + pad(bytes(stored), 10) + pad(ratio, 8) + pad(perRow, 7))
                    for line in lines { print(line) }
                }
            }
        }
    }
}

struct BlockDump: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump", abstract: "Print the profiles of the series a selector matches, optionally with their stacks.")

    @Argument(help: "Block directory.") var path: String
    @Option(help: "Series selector, e.g. '{service_name=\"api\"}'.") var selector = "{}"
    @Flag(help: "Print each profile's samples as value and stack (leaf first).") var stacks = false

    func run() async throws {
        let block = try await Block(path: path)
        let sel: LabelSelector
        do { sel = try LabelSelector(parsing: selector) } catch { throw ValidationError("--selector: \(error)") }
        for ref in block.select(sel) {
            print("series \(ref) \(block.labels[Int(ref)])")
            for row in block.profiles(of: ref, in: Int64.min...Int64.max) {
                print("  profile \(iso(block.profileTimeNanos(row))) total=\(block.profileTotalValue(row))")
                guard stacks else { continue }
                try await block.forEachSampleRun(profiles: [row]) { ids, values in
                    for (id, v) in zip(ids, values) { print("    \(v)  " + names(of: Int(id), block.symbols).joined(separator: " ← ")) }
                }
            }
        }
    }

    func names(of stack: Int, _ s: SymbolView) -> [String] {
        var out: [String] = []
        var n = stack
        while n != 0 {
            let loc = s.locations[Int(s.stackLocations[n])]
            out += loc.lines.isEmpty ? ["0x" + String(loc.address, radix: 16)] : loc.lines.map { s.strings[Int(s.functions[Int($0.function)].name)] }
            n = Int(s.stackParents[n])
        }
        return out
    }
}

struct BlockVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Verify every file CRC32C, every page and every reference of each block; exit 1 on the first bad block.")

    @Argument(help: "Block, tenant or blocks directory.") var path: String

    func run() async throws {
        let dirs = try blockDirectories(path)
        let tty = isatty(2) != 0
        var bad = 0
        var checkedBytes = 0
        let start = Date()
        for (i, dir) in dirs.enumerated() {
            if tty {
                let rate = Double(checkedBytes) / max(Date().timeIntervalSince(start), 0.001) / 1e6
                FileHandle.standardError.write(
                    "\rverifying block \(i + 1)/\(dirs.count), \(bytes(checkedBytes)) checked, \(String(format: "%.0f", rate)) MB/s   ".data(
                        using: .utf8)!)
            }
            do {
                checkedBytes += try await verify(dir)
                if !tty { print("ok   \(dir)") }
            } catch {
                bad += 1
                if tty { FileHandle.standardError.write("\n".data(using: .utf8)!) }
                print("BAD  \(dir): \(error)")
            }
        }
        if tty { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        print(
            "\(dirs.count - bad) of \(dirs.count) blocks verified, \(bytes(checkedBytes)) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s"
        )
        if bad > 0 { throw ExitCode(1) }
    }

    /// File sizes and CRCs against meta.json, then every page of every column, then every reference (Block's checks).
    func verify(_ dir: String) async throws -> Int {
        let meta = try BlockMeta.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + BlockSchema.metaFile))), path: dir)
        var total = 0
        for f in meta.files {
            let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f.name)))
            guard data.count == f.size else {
                throw BlockError(path: dir + "/" + f.name, offset: nil, reason: "size \(data.count), meta.json says \(f.size)")
            }
            let crc = CRC32C.checksum(data)
            guard crc == f.crc32c else {
                throw BlockError(path: dir + "/" + f.name, offset: nil, reason: "file CRC32C \(crc), meta.json says \(f.crc32c)")
            }
            do {
                let file = try ColumnarFile(bytes: data)
                for t in file.footer.tables { for c in t.columns.indices { _ = try file.column(t, c, in: data) } }
            } catch {
                throw BlockError(path: dir + "/" + f.name, offset: error.offset, reason: error.reason)
            }
            total += data.count
        }
        _ = try await Block(path: dir)
        return total
    }
}

/// Offline maintenance on a stopped daemon's data directory (the WAL lock
/// refuses a running one): cut the WAL's heads into blocks, or compact.
struct BlockCut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cut", abstract: "Replay the WAL of a stopped daemon and cut every head into a block now.")

    @Argument(help: "The daemon's --storage.path.") var storagePath: String

    func run() async throws {
        let ingester = try await Ingester(
            walDirectory: storagePath + "/wal", blockDirectory: storagePath + "/blocks",
            id: try IngesterIdentity.stored(in: storagePath + "/wal")?.id, logger: Logger(label: "kiln-inspect"))
        defer { ingester.close() }
        let metas = try await ingester.cut()
        for m in metas { print("cut \(m.tenant)/\(m.ulid): \(m.stats.series) series, \(m.stats.profiles) profiles, \(m.stats.samples) samples") }
        if metas.isEmpty { print("nothing to cut: every head is empty") }
    }
}

struct BlockCompact: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact", abstract: "Compact the blocks of a stopped daemon now, as its compactor would.")

    @Argument(help: "The daemon's --storage.path.") var storagePath: String
    @Option(help: "Compaction windows in hours, ascending, comma-separated.") var rangesHours = "2,12,48"

    func run() async throws {
        let ranges = rangesHours.split(separator: ",").compactMap { Double($0) }.map { Int64($0 * 3_600_000_000_000) }
        guard !ranges.isEmpty else { throw ValidationError("--ranges-hours: numbers of hours, comma-separated") }
        let ingester = try await Ingester(
            walDirectory: storagePath + "/wal", blockDirectory: storagePath + "/blocks",
            id: try IngesterIdentity.stored(in: storagePath + "/wal")?.id, logger: Logger(label: "kiln-inspect"))
        defer { ingester.close() }
        let metas = try await ingester.compact(.init(planner: CompactionPlanner(ranges: ranges)))
        for m in metas {
            print(
                "compacted \(m.tenant)/\(m.ulid) level \(m.level) from \(m.sources.joined(separator: ",")): \(m.stats.profiles) profiles, \(m.stats.samples) samples"
            )
        }
        if metas.isEmpty { print("nothing to compact") }
    }
}
