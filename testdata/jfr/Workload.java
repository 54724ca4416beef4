// The workload of Kiln's JFR golden recordings (testdata/README.md): four
// threads that give a JDK recording every profiling event Kiln reads, in
// numbers small enough for `jfr print --json` to stay readable.
//
//   javac -d <dir> Workload.java
//   java '-XX:StartFlightRecording=filename=<out>.jfr,settings=profile,jdk.ObjectAllocationInNewTLAB#enabled=true,jdk.ObjectAllocationOutsideTLAB#enabled=true' -cp <dir> Workload <milliseconds>
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

public class Workload {
    static final Object lock = new Object();
    static volatile long sink;

    static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    /** CPU: jdk.ExecutionSample. */
    static void burn(long until) {
        while (System.nanoTime() < until) sink += fib(22);
    }

    /** Allocation: jdk.ObjectAllocationSample, …InNewTLAB (small arrays), …OutsideTLAB (large ones). */
    static void allocate(long until) {
        List<Object> keep = new ArrayList<>();
        while (System.nanoTime() < until) {
            for (int i = 0; i < 256; i++) keep.add(new long[16]);
            keep.add(new byte[256 * 1024]);
            if (keep.size() > 4096) keep.clear();
            LockSupport.parkNanos(2_000_000L);
        }
    }

    /** Contention: jdk.JavaMonitorEnter (waiting for the lock), jdk.ThreadPark (holding it). */
    static void contend(long until) {
        while (System.nanoTime() < until) {
            synchronized (lock) {
                LockSupport.parkNanos(30_000_000L);
            }
            LockSupport.parkNanos(1_000_000L);
        }
    }

    public static void main(String[] args) throws Exception {
        long until = System.nanoTime() + Long.parseLong(args[0]) * 1_000_000L;
        Thread[] threads = {
            new Thread(() -> burn(until), "burner"),
            new Thread(() -> allocate(until), "allocator"),
            new Thread(() -> contend(until), "contender-1"),
            new Thread(() -> contend(until), "contender-2"),
        };
        for (Thread t : threads) t.start();
        for (Thread t : threads) t.join();
    }
}
