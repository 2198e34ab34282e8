package dev.weft.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What {@link dev.weft.bench.probe.Probe} wrote about one process, read back. */
public final class ProbeLog {
    public record Sample(long atMillis, long cpuNanos, long rssKb, long heapUsed) {}

    public record Gc(long atMillis, String name, String cause, long before, long after, long pauseMillis) {
        public boolean forced() {
            return cause.equals("System.gc()") || cause.contains("Diagnostic") || cause.contains("Heap_Inspection");
        }
    }

    public final List<Sample> samples = new ArrayList<>();
    public final List<Gc> gcs = new ArrayList<>();
    public long startMillis = -1;
    public long exitMillis = -1;
    public long exitCpuNanos = -1;
    public long hwmKb = -1;
    public long exitHeapUsed = -1;

    public static ProbeLog read(Path file) throws IOException {
        ProbeLog p = new ProbeLog();
        if (!Files.exists(file)) return p;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) p.parse(line);
        return p;
    }

    void parse(String line) {
        String[] f = line.trim().split(" ");
        try {
            switch (f[0]) {
                case "start" -> startMillis = Long.parseLong(f[1]);
                case "sample" -> samples.add(new Sample(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4])));
                case "gc" -> gcs.add(new Gc(Long.parseLong(f[1]), f[2], f[3], Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6])));
                case "exit" -> {
                    exitMillis = Long.parseLong(f[1]);
                    exitCpuNanos = Long.parseLong(f[2]);
                    hwmKb = Long.parseLong(f[3]);
                    exitHeapUsed = Long.parseLong(f[4]);
                }
                default -> { }
            }
        } catch (RuntimeException torn) {
            // a line cut short while the process was being read: skip it
        }
    }

    /** Process CPU at a moment, interpolated between samples (0 before the first). */
    public long cpuAt(long millis) {
        Sample prev = null;
        for (Sample s : samples) {
            if (s.atMillis >= millis) {
                if (prev == null) return s.cpuNanos;
                double f = (double) (millis - prev.atMillis) / Math.max(1, s.atMillis - prev.atMillis);
                return prev.cpuNanos + Math.round(f * (s.cpuNanos - prev.cpuNanos));
            }
            prev = s;
        }
        if (exitMillis > 0 && prev != null && millis <= exitMillis) {
            double f = (double) (millis - prev.atMillis) / Math.max(1, exitMillis - prev.atMillis);
            return prev.cpuNanos + Math.round(f * (exitCpuNanos - prev.cpuNanos));
        }
        return exitCpuNanos > 0 ? exitCpuNanos : prev == null ? 0 : prev.cpuNanos;
    }

    /** RSS of the sample nearest to a moment, in kB. */
    public long rssAt(long millis) {
        Sample best = null;
        for (Sample s : samples) if (best == null || Math.abs(s.atMillis - millis) < Math.abs(best.atMillis - millis)) best = s;
        return best == null ? -1 : best.rssKb;
    }

    /** The most heap in use seen: before any collection, in any sample, or at exit. */
    public long peakHeap() {
        long m = exitHeapUsed;
        for (Gc g : gcs) m = Math.max(m, g.before);
        for (Sample s : samples) m = Math.max(m, s.heapUsed);
        return m;
    }

    public long totalCpuNanos() {
        if (exitCpuNanos > 0) return exitCpuNanos;
        return samples.isEmpty() ? 0 : samples.get(samples.size() - 1).cpuNanos;
    }

    public long gcPauseMillis() {
        return gcs.stream().filter(g -> !g.name.contains("Concurrent")).mapToLong(Gc::pauseMillis).sum();
    }

    public long gcCount() {
        return gcs.stream().filter(g -> !g.name.contains("Concurrent")).count();
    }

    public List<Gc> forcedGcs() {
        return gcs.stream().filter(g -> g.forced() && !g.name.contains("Concurrent")).toList();
    }
}
