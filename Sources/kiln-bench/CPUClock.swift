import Foundation

/// Wall and process CPU time, for "per core" rates: work divided by the CPU
/// seconds the process spent (user + system), whatever the parallelism.
struct CPUClock {
    let wall: Double
    let cpu: Double

    static func now() -> CPUClock {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return CPUClock(wall: Double(DispatchTime.now().uptimeNanoseconds) / 1e9, cpu: cpu)
    }

    func elapsed() -> (wall: Double, cpu: Double) {
        let n = CPUClock.now()
        return (n.wall - wall, n.cpu - cpu)
    }
}
