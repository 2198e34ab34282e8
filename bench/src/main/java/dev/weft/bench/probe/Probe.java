package dev.weft.bench.probe;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * A measuring agent for the process under test ({@code -javaagent:weft-bench-probe.jar=OUT[,PERIOD_MS]}).
 * JDK classes only. It appends to OUT, one event per line, flushed at once so the driver can read
 * it while the process runs:
 *
 * <pre>
 * start  EPOCH_MS
 * sample EPOCH_MS CPU_NS RSS_KB HEAP_USED_B            every PERIOD_MS (default 100)
 * gc     EPOCH_MS NAME CAUSE BEFORE_B AFTER_B PAUSE_MS  after every collection (heap = all heap pools)
 * exit   EPOCH_MS CPU_NS HWM_KB HEAP_USED_B            from a shutdown hook (System.exit runs it)
 * </pre>
 *
 * CPU is the whole process (all threads: engine, JIT, GC) from the OS; RSS and its high-water mark
 * (VmHWM) come from /proc/self/status; heap figures from the platform MXBeans.
 */
public final class Probe {
    private static PrintWriter out;

    private Probe() {}

    public static void premain(String args) {
        String[] parts = (args == null ? "" : args).split(",");
        if (parts[0].isBlank()) throw new IllegalArgumentException("usage: -javaagent:probe.jar=OUTPUT_FILE[,PERIOD_MS]");
        long period = parts.length > 1 ? Long.parseLong(parts[1]) : 100;
        try {
            out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(parts[0], true), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        emit("start " + System.currentTimeMillis());
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (!(gc instanceof NotificationEmitter emitter)) continue;
            emitter.addNotificationListener((n, handback) -> {
                if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) return;
                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                emit("gc " + System.currentTimeMillis() + " " + info.getGcName().replace(' ', '_') + " "
                        + info.getGcCause().replace(' ', '_') + " " + heap(info.getGcInfo().getMemoryUsageBeforeGc()) + " "
                        + heap(info.getGcInfo().getMemoryUsageAfterGc()) + " " + info.getGcInfo().getDuration());
            }, null, null);
        }
        Thread sampler = new Thread(() -> {
            while (true) {
                emit("sample " + System.currentTimeMillis() + " " + os.getProcessCpuTime() + " " + status("VmRSS") + " "
                        + memory.getHeapMemoryUsage().getUsed());
                try {
                    Thread.sleep(period);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-probe");
        sampler.setDaemon(true);
        sampler.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> emit("exit " + System.currentTimeMillis() + " " + os.getProcessCpuTime()
                + " " + status("VmHWM") + " " + memory.getHeapMemoryUsage().getUsed()), "bench-probe-exit"));
    }

    /** Bytes used in all heap pools (the map also holds non-heap pools such as Metaspace). */
    private static long heap(Map<String, MemoryUsage> pools) {
        long used = 0;
        for (var e : pools.entrySet()) {
            String name = e.getKey();
            boolean nonHeap = name.contains("Metaspace") || name.contains("Code") || name.contains("Compressed Class");
            if (!nonHeap) used += e.getValue().getUsed();
        }
        return used;
    }

    /** A kB figure from /proc/self/status, or -1 where there is none. */
    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return -1;
    }

    private static synchronized void emit(String line) {
        out.println(line);
        out.flush();
    }
}
