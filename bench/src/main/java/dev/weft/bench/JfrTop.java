package dev.weft.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording's CPU samples ({@code jdk.ExecutionSample}): where the CPU goes by
 * component (the first rule that matches a frame of the stack, innermost component first), the
 * hottest methods (self), and Weft's own methods (inclusive). Also sums {@code jdbi.statement}
 * durations by statement and thread, and reports pinned virtual threads.
 *
 * <pre>java -cp bench/target/weft-bench.jar dev.weft.bench.JfrTop FILE.jfr [TOP]</pre>
 */
public final class JfrTop {
    /** Component rules, most specific first: a sample counts for the first rule any of its frames matches. */
    private static final Map<String, List<String>> COMPONENTS = new LinkedHashMap<>();

    static {
        COMPONENTS.put("Jinjava: copy of the global context per render (Context.<init>, library registration)",
                List.of("com.hubspot.jinjava.Jinjava.copyGlobalContext", "com.hubspot.jinjava.Jinjava.newInterpreter"));
        COMPONENTS.put("Jinjava: parse + render + EL", List.of("com.hubspot.jinjava", "jinjava.de.odysseus"));
        COMPONENTS.put("JSON Schema validation (judge)", List.of("com.networknt.schema"));
        COMPONENTS.put("SQLite store: cache reads (Hikari, Jdbi, JNI)", List.of("dev.weft.store.Store.cacheGet"));
        COMPONENTS.put("SQLite store: writer thread (Jdbi, JNI)", List.of("dev.weft.store.BatchWriter.loop"));
        COMPONENTS.put("SQLite store: other", List.of("org.sqlite", "org.jdbi", "com.zaxxer", "dev.weft.store"));
        COMPONENTS.put("JDK HTTP client", List.of("jdk.internal.net.http", "dev.weft.model.JdkHttpClient"));
        COMPONENTS.put("langchain4j OpenAI mapping (request/response objects, JSON)", List.of("dev.langchain4j"));
        COMPONENTS.put("cache key + request JSON (SHA-256, Jackson)", List.of("dev.weft.run.CacheKeys", "dev.weft.run.Step.seed"));
        COMPONENTS.put("sink line / state JSON (RecordRun.settle)", List.of("dev.weft.run.RecordRun.settle"));
        COMPONENTS.put("Jackson (elsewhere)", List.of("com.fasterxml.jackson"));
        COMPONENTS.put("Weft engine (elsewhere)", List.of("dev.weft"));
        COMPONENTS.put("virtual-thread scheduling", List.of("java.lang.VirtualThread", "java.util.concurrent.ForkJoin"));
    }

    private JfrTop() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: JfrTop FILE.jfr [TOP]");
            System.exit(2);
        }
        print(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 25, System.out);
    }

    static void print(Path file, int top, PrintStream out) throws IOException {
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> components = new LinkedHashMap<>();
        Map<String, double[]> statements = new HashMap<>();
        int samples = 0;
        int pinned = 0;
        double pinnedMillis = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            if (type.equals("jdk.ExecutionSample")) {
                RecordedStackTrace st = e.getStackTrace();
                if (st == null || st.getFrames().isEmpty()) continue;
                samples++;
                List<String> frames = new ArrayList<>();
                for (RecordedFrame f : st.getFrames()) {
                    if (f.isJavaFrame()) frames.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
                }
                if (frames.isEmpty()) continue;
                self.merge(frames.get(0), 1, Integer::sum);
                Set<String> seen = new HashSet<>();
                for (String f : frames) if (seen.add(f)) inclusive.merge(f, 1, Integer::sum);
                components.merge(component(frames), 1, Integer::sum);
            } else if (type.equals("jdbi.statement")) {
                String sql = e.getString("sql");
                String[] words = sql == null ? new String[0] : sql.trim().split("\\s+");
                String key = String.join(" ", java.util.Arrays.copyOf(words, Math.min(words.length, 4)))
                        + "  [" + (e.getThread() == null || e.getThread().isVirtual() ? "record threads" : e.getThread().getJavaName()) + "]";
                double[] a = statements.computeIfAbsent(key, k -> new double[2]);
                a[0]++;
                a[1] += e.getDuration().toNanos() / 1e6;
            } else if (type.equals("jdk.VirtualThreadPinned")) {
                pinned++;
                pinnedMillis += e.getDuration().toNanos() / 1e6;
            }
        }
        out.printf(Locale.ROOT, "%s: %d CPU samples (jdk.ExecutionSample: Java code only; JIT, GC and native time are not in them)%n",
                file.getFileName(), samples);
        out.println("== by component");
        int n = Math.max(1, samples);
        components.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(c -> out.printf(Locale.ROOT, "  %5d %5.1f%%  %s%n", c.getValue(), 100.0 * c.getValue() / n, c.getKey()));
        out.println("== hottest methods (self)");
        self.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(c -> out.printf(Locale.ROOT, "  %5d %5.1f%%  %s%n", c.getValue(), 100.0 * c.getValue() / n, c.getKey()));
        out.println("== Weft methods and their callees (inclusive)");
        inclusive.entrySet().stream().filter(c -> c.getKey().startsWith("dev.weft") && !c.getKey().startsWith("dev.weft.bench")
                        && !c.getKey().startsWith("dev.weft.cli"))
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(c -> out.printf(Locale.ROOT, "  %5d %5.1f%%  %s%n", c.getValue(), 100.0 * c.getValue() / n, c.getKey()));
        if (!statements.isEmpty()) {
            out.println("== SQL statements (jdbi.statement events: count, total ms, mean ms)");
            statements.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[1], a.getValue()[1])).limit(8)
                    .forEach(s -> out.printf(Locale.ROOT, "  %7.0f %9.1f ms %7.3f ms  %s%n", s.getValue()[0], s.getValue()[1],
                            s.getValue()[1] / s.getValue()[0], s.getKey()));
        }
        out.printf(Locale.ROOT, "== virtual threads pinned over 20 ms: %d (%.0f ms)%n", pinned, pinnedMillis);
    }

    static String component(List<String> frames) {
        for (Map.Entry<String, List<String>> c : COMPONENTS.entrySet()) {
            for (String f : frames) {
                for (String prefix : c.getValue()) if (f.startsWith(prefix)) return c.getKey();
            }
        }
        return "JDK (elsewhere)";
    }
}
