/// Pyroscope's merging of JVM symbols that differ from run to run only by a
/// generated number (grafana/jfr-parser `mergeJVMGeneratedClasses`, applied
/// to every class and method name): without it each JVM restart would grow
/// new flame graph nodes for the same code.
///
/// - `jdk/internal/reflect/GeneratedMethodAccessor31` → `…GeneratedMethodAccessor_`
/// - `Foo$$Lambda$669.0x0000000800fd7318`, `Foo$$Lambda.0x00007ffa600c4da0`,
///   `Foo$$Lambda$14/0x…` → `Foo$$Lambda_`
/// - `libzstd-jni-1.5.1-16931311898282279136.so` (optionally under `/tmp/`,
///   ` (deleted)`) → `libzstd-jni-_.so`
/// - amazon-corretto-crypto-provider's extracted libraries → `libamazonCorrettoCryptoProvider_.so`
/// - pyroscope-java's extracted async-profiler → `libasyncProfiler-_.so`
///
/// Hand-written matchers of those patterns: O(length) each, no regex engine.
public enum JVMSymbols {
    public static func merged(_ s: String) -> String {
        let b = Array(s.utf8)
        if let r = generatedMethodAccessor(b) ?? lambda(b) ?? zstd(b) ?? corretto(b) ?? asyncProfiler(b) { return r }
        return s
    }

    private static let accessorPrefix = Array("jdk/internal/reflect/GeneratedMethodAccessor".utf8)

    private static func generatedMethodAccessor(_ b: [UInt8]) -> String? {
        guard b.starts(with: accessorPrefix), b.count > accessorPrefix.count, b[accessorPrefix.count...].allSatisfy(isDigit) else { return nil }
        return "jdk/internal/reflect/GeneratedMethodAccessor_"
    }

    private static let lambdaMarker = Array("$$Lambda".utf8)

    /// `^(.+\$\$Lambda)(\$?\d*[./](0x)?[\da-f]+|\d+)$`: the last `$$Lambda`
    /// after at least one character whose tail matches.
    private static func lambda(_ b: [UInt8]) -> String? {
        guard b.count > lambdaMarker.count else { return nil }
        var p = b.count - lambdaMarker.count
        while p >= 1 {
            if b[p..<(p + lambdaMarker.count)].elementsEqual(lambdaMarker), lambdaTail(b[(p + lambdaMarker.count)...]) {
                return String(decoding: b[..<(p + lambdaMarker.count)], as: UTF8.self) + "_"
            }
            p -= 1
        }
        return nil
    }

    private static func lambdaTail(_ t: ArraySlice<UInt8>) -> Bool {
        if !t.isEmpty && t.allSatisfy(isDigit) { return true }
        var i = t.startIndex
        if i < t.endIndex && t[i] == UInt8(ascii: "$") { i += 1 }
        while i < t.endIndex && isDigit(t[i]) { i += 1 }
        guard i < t.endIndex, t[i] == UInt8(ascii: ".") || t[i] == UInt8(ascii: "/") else { return false }
        let rest = t[(i + 1)...]
        if rest.starts(with: Array("0x".utf8)), rest.count > 2, rest.dropFirst(2).allSatisfy(isLowerHex) { return true }
        return !rest.isEmpty && rest.allSatisfy(isLowerHex)
    }

    /// A cursor for the anchored library-name patterns.
    private struct Match {
        let b: [UInt8]
        var i = 0
        init(_ b: [UInt8]) { self.b = b }
        mutating func literal(_ s: String) -> Bool {
            let l = Array(s.utf8)
            guard b[i...].starts(with: l) else { return false }
            i += l.count
            return true
        }
        mutating func optional(_ s: String) { _ = literal(s) }
        /// `(\.?/tmp/)?`
        mutating func tmpPrefix() {
            let start = i
            optional(".")
            if !literal("/tmp/") { i = start }
        }
        mutating func digits() -> Bool {
            let start = i
            while i < b.count && isDigit(b[i]) { i += 1 }
            return i > start
        }
        mutating func hex(_ n: Int) -> Bool {
            guard b.count - i >= n, b[i..<(i + n)].allSatisfy(isLowerHex) else { return false }
            i += n
            return true
        }
        /// `(\.so)( \(deleted\))?$`
        mutating func soEnd() -> Bool {
            guard literal(".so") else { return false }
            optional(" (deleted)")
            return i == b.count
        }
    }

    private static func zstd(_ b: [UInt8]) -> String? {
        var m = Match(b)
        m.tmpPrefix()
        guard m.literal("libzstd-jni-"), m.digits(), m.literal("."), m.digits(), m.literal("."), m.digits(), m.literal("-"), m.digits(), m.soEnd()
        else { return nil }
        return "libzstd-jni-_.so"
    }

    private static func corretto(_ b: [UInt8]) -> String? {
        var m = Match(b)
        m.tmpPrefix()
        m.optional("lib")
        guard m.literal("amazonCorrettoCryptoProvider") else { return nil }
        m.optional("NativeLibraries.")
        guard m.hex(16) else { return nil }
        if !m.literal("/libcrypto") { m.optional("/libamazonCorrettoCryptoProvider") }
        guard m.soEnd() else { return nil }
        return "libamazonCorrettoCryptoProvider_.so"
    }

    private static func asyncProfiler(_ b: [UInt8]) -> String? {
        var m = Match(b)
        m.tmpPrefix()
        guard m.literal("libasyncProfiler-") else { return nil }
        guard m.literal("linux-arm64") || m.literal("linux-musl-x64") || m.literal("linux-x64") || m.literal("macos") else { return nil }
        guard m.literal("-17b9a1d8156277a98ccc871afa9a8f69215f92"), m.soEnd() else { return nil }
        return "libasyncProfiler-_.so"
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private static func isLowerHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= 97 && c <= 102) }
}
