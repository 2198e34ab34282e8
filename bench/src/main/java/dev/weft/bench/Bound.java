package dev.weft.bench;

import java.util.PriorityQueue;

/**
 * The zero-overhead bound for a run: what an engine that costs nothing would take for the same
 * records. Record i makes k_i model calls one after another (each waits for the one before), each
 * call takes the server's mean latency L, and at most C calls are in flight at once. Then no
 * schedule can finish before
 *
 * <pre>
 *   T_bound = max(K * L / C, k_max * L)      K = sum of k_i (all calls), k_max = the longest chain
 * </pre>
 *
 * and the achieved rate is compared with K / T_bound. {@link #greedy} is the makespan of the
 * schedule the engine actually follows (records admitted in source order into C slots) with zero
 * overhead: at least T_bound, and the difference is the tail where fewer than C records remain.
 */
public record Bound(long calls, int longestChain, double latencySeconds, int concurrency) {
    public Bound {
        if (concurrency < 1) throw new IllegalArgumentException("concurrency must be at least 1");
        if (latencySeconds <= 0) throw new IllegalArgumentException("latency must be positive");
    }

    /** Mean latency of a server with fixed latency {@code latencyMs} plus uniform jitter 0..{@code jitterMs}. */
    public static double meanLatencySeconds(long latencyMs, long jitterMs) {
        return (latencyMs + jitterMs / 2.0) / 1000.0;
    }

    /** max(K * L / C, k_max * L) in seconds. */
    public double seconds() {
        return Math.max(calls * latencySeconds / concurrency, longestChain * latencySeconds);
    }

    /** K / T_bound: the most calls per second these records allow. */
    public double callsPerSecond() {
        double s = seconds();
        return s == 0 ? 0 : calls / s;
    }

    /** C / L: the server's capacity at this concurrency. */
    public double idealCallsPerSecond() {
        return concurrency / latencySeconds;
    }

    /** T_bound / achieved seconds: 1.0 is a perfect engine. */
    public double ratio(double achievedSeconds) {
        return achievedSeconds <= 0 ? 0 : seconds() / achievedSeconds;
    }

    /**
     * The zero-overhead makespan of admitting records in source order into {@code slots} slots,
     * record i taking {@code callsPerRecord[i] * latency} seconds.
     */
    public static double greedy(int[] callsPerRecord, int slots, double latencySeconds) {
        PriorityQueue<Double> free = new PriorityQueue<>();
        for (int i = 0; i < slots; i++) free.add(0.0);
        double end = 0;
        for (int k : callsPerRecord) {
            double start = free.poll();
            double finish = start + k * latencySeconds;
            free.add(finish);
            end = Math.max(end, finish);
        }
        return end;
    }
}
