import Foundation

/// Wall-clock time for stamping profiles that arrive without one.
enum Clock {
    static func nowNanos() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }
}
