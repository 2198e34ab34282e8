package dev.weft.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Where a process's CPU goes, by thread, read from outside through /proc/PID/task/TID/stat
 * (utime + stime, in clock ticks of 10 ms). Polled while the process runs; a thread that ends
 * between two polls loses at most one interval. Also reads the whole machine's busy time from
 * /proc/stat, so that CPU used by other programs during a run can be reported. Linux only; on
 * other systems every figure stays 0.
 */
final class ThreadCpu {
    private static final double TICK_SECONDS = 0.01;
    private final long pid;
    private final Map<Long, String> names = new HashMap<>();
    private final Map<Long, Long> ticks = new HashMap<>();

    ThreadCpu(long pid) {
        this.pid = pid;
    }

    void poll() {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tasks)) {
            for (Path t : ds) {
                try {
                    String s = Files.readString(t.resolve("stat"));
                    int open = s.indexOf('('), close = s.lastIndexOf(')');
                    String[] f = s.substring(close + 2).split(" ");
                    long tid = Long.parseLong(t.getFileName().toString());
                    names.put(tid, s.substring(open + 1, close));
                    ticks.put(tid, Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException | RuntimeException gone) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException | RuntimeException gone) {
            // the process ended
        }
    }

    /** CPU seconds by kind of thread, largest first. */
    Map<String, Double> byGroup() {
        Map<String, Double> g = new HashMap<>();
        ticks.forEach((tid, t) -> g.merge(group(names.get(tid)), t * TICK_SECONDS, Double::sum));
        return g.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
    }

    static String group(String name) {
        if (name == null) return "other";
        if (name.startsWith("ForkJoinPool")) return "record threads";
        if (name.startsWith("weft-store-wri")) return "store writer";
        if (name.startsWith("C2 Compiler") || name.startsWith("C1 Compiler")) return "JIT";
        if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.startsWith("VM Thread")) return "GC+VM";
        if (name.startsWith("HttpClient")) return "HTTP client";
        if (name.equals("java") || name.equals("main")) return "main";
        return "other";
    }

    String describe() {
        Map<String, Double> g = byGroup();
        double total = g.values().stream().mapToDouble(Double::doubleValue).sum();
        return g.entrySet().stream().filter(e -> e.getValue() > 0)
                .map(e -> String.format(Locale.ROOT, "%s %.2f s (%.0f%%)", e.getKey(), e.getValue(), 100 * e.getValue() / Math.max(1e-9, total)))
                .collect(Collectors.joining(", "));
    }

    /** Busy jiffies of the whole machine (all CPUs: user, nice, system, irq, softirq, steal), from /proc/stat. */
    static long machineBusyTicks() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
            String[] f = lines.get(0).trim().split("\\s+"); // cpu user nice system idle iowait irq softirq steal ...
            return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6]) + Long.parseLong(f[7])
                    + (f.length > 8 ? Long.parseLong(f[8]) : 0);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** CPU ticks so far of every process on the machine, by pid, with its name ("comm"). */
    static Map<Long, Map.Entry<String, Long>> processTicks() {
        Map<Long, Map.Entry<String, Long>> out = new HashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : ds) {
                try {
                    String s = Files.readString(p.resolve("stat"));
                    int open = s.indexOf('('), close = s.lastIndexOf(')');
                    String[] f = s.substring(close + 2).split(" ");
                    out.put(Long.parseLong(p.getFileName().toString()),
                            Map.entry(s.substring(open + 1, close), Long.parseLong(f[11]) + Long.parseLong(f[12])));
                } catch (IOException | RuntimeException gone) {
                    // ended while we looked
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return out;
    }

    /**
     * The processes that used the most CPU between two {@link #processTicks()} snapshots, leaving out
     * {@code ours}; a process that started and ended in between is not seen.
     */
    static String topOthers(Map<Long, Map.Entry<String, Long>> before, Map<Long, Map.Entry<String, Long>> after, Set<Long> ours, int n) {
        return after.entrySet().stream().filter(e -> !ours.contains(e.getKey()))
                .map(e -> Map.entry(e.getValue().getKey() + " (pid " + e.getKey() + ")",
                        e.getValue().getValue() - (before.containsKey(e.getKey()) ? before.get(e.getKey()).getValue() : 0)))
                .filter(e -> e.getValue() >= 10)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .map(e -> String.format(Locale.ROOT, "%s %.1f s", e.getKey(), ticksToSeconds(e.getValue())))
                .collect(Collectors.joining(", "));
    }

    static double ticksToSeconds(long ticks) {
        return ticks * TICK_SECONDS;
    }
}
