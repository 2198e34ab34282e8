package dev.weft.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The Weft benchmark driver (run it through {@code bench/run.sh}). Every scenario starts the fake
 * model server ({@code dev.weft.testkit.FakeModelServer}) as a process of its own and runs
 * {@code weft run} as another process with {@code -Xmx512m} and the measuring agent
 * ({@link dev.weft.bench.probe.Probe}), then reads the run back from the store and the server's
 * {@code /stats}, and prints one table of figures at the end.
 */
public final class Bench {
    private static final double MB = 1024.0 * 1024.0;
    private static final PrintStream LOG = System.err;

    // ---- options
    private Path root = Path.of(".");
    private Path java;
    private Path work;
    private boolean quick;
    private boolean jfr;
    private Set<String> only = new LinkedHashSet<>();
    private long latencyMs = 50;
    private long jitterMs = 0;
    private double rate429 = 0;
    private double rate500 = 0;
    private Long records1m;
    private String heap = "512m";
    private final List<String> jvmOpts = new ArrayList<>();
    private double quietCores = 0.25;
    private int quietWaitSeconds = 180;
    private final Map<String, Long> records = new LinkedHashMap<>();

    private Path weftJar;
    private Path weftJarOverride;
    private Path benchJar;
    private Path probeJar;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> details = new ArrayList<>();
    private final Map<String, String> quietNotes = new LinkedHashMap<>();

    /** One line of the table. NaN prints as "-". */
    record Row(String scenario, long n, int c, String latency, long calls, long steps, double seconds, double callsPerSecond,
               double ideal, double boundPerSecond, double ratio, double stepsPerSecond, double cpuMsPerOp, String op,
               double rssMb, double heapMb, double otherCores, String target, String result) {}

    private record Scenario(String name, Kind kind, long n, int c, double target) {}

    private enum Kind { LIVE, REPLAY, CACHE_ONLY, STREAM }

    /** A finished `weft run` process and what was measured about it. */
    private record Measured(int exit, double processSeconds, RunStore.Run run, ProbeLog probe, List<Checkpoint> checkpoints,
                            Path stdout, Path stderr, ThreadCpu threads, double machineBusySeconds, double driverCpuSeconds,
                            String others) {
        /** CPU seconds used on this machine while the run's process lived, by neither it, the driver, nor {@code serverCpu}. */
        double foreignCpu(double serverCpuSeconds) {
            return Math.max(0, machineBusySeconds - probe.totalCpuNanos() / 1e9 - serverCpuSeconds - driverCpuSeconds);
        }

        String cpuSplit(double serverCpuSeconds) {
            double foreign = foreignCpu(serverCpuSeconds);
            return String.format(Locale.ROOT, "weft threads: %s%n    other programs on the machine during the run: %.2f CPU s (%.2f cores on average)%s%s",
                    threads.describe(), foreign, foreign / processSeconds, foreign / processSeconds > 0.15 ? "  [NOISY: the machine was shared]" : "",
                    others.isEmpty() ? "" : String.format("%n      busiest: ") + others);
        }
    }

    private record Checkpoint(double fraction, long settled, long atMillis, boolean forced) {}

    public static void main(String[] args) throws Exception {
        Bench b = new Bench();
        try {
            b.parse(args);
        } catch (IllegalArgumentException e) {
            LOG.println("bench: " + e.getMessage());
            LOG.println(usage());
            System.exit(2);
        }
        System.exit(b.runAll());
    }

    static String usage() {
        return """
                usage: bench/run.sh [--quick] [--only c64,c256,c1024,replay,cache-only,stream-1m] [--latency-ms 50] [--jitter-ms 0]
                                    [--rate-429 0] [--rate-500 0] [--records SCENARIO=N ...] [--records-1m N] [--heap 512m]
                                    [--jfr] [--weft-jar JAR] [--jvm-opt OPTION ...] [--quiet-wait SECONDS] [--work DIR]
                  --quick      small N everywhere (a smoke test of a minute or two; targets are still checked)
                  --only       run some scenarios (replay and cache-only replay the largest live scenario run)
                  --records    override one scenario's N, e.g. --records c1024=8000
                  --jfr        record a JFR profile of every `weft run` (settings=profile) to WORK/SCENARIO.jfr, summarised
                               in WORK/SCENARIO.jfr.txt (java -cp bench/target/weft-bench.jar dev.weft.bench.JfrTop FILE.jfr)
                  --weft-jar   run this weft.jar instead of cli/target/weft.jar (to compare two builds)
                  --jvm-opt    an extra JVM option for every `weft run` (repeatable), e.g. --jvm-opt -XX:TieredStopAtLevel=1
                  --quiet-wait before each run wait up to SECONDS (default 180; 0: no wait) until other programs use
                               less than a quarter of a core, as the machine may be shared; the wait is reported
                  --work DIR   where stores, outputs, logs and probe files go (default /tmp/weft-bench)""";
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0 && !a.equals("--records")) {
                v = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--quick" -> quick = true;
                case "--jfr" -> jfr = true;
                case "-h", "--help" -> {
                    System.out.println(usage());
                    System.exit(0);
                }
                default -> {
                    if (v == null) {
                        if (i + 1 >= args.length) throw new IllegalArgumentException("missing value for " + a);
                        v = args[++i];
                    }
                    switch (a) {
                        case "--root" -> root = Path.of(v);
                        case "--java" -> java = Path.of(v);
                        case "--work" -> work = Path.of(v);
                        case "--only" -> only = new LinkedHashSet<>(Arrays.asList(v.split(",")));
                        case "--latency-ms" -> latencyMs = Long.parseLong(v);
                        case "--jitter-ms" -> jitterMs = Long.parseLong(v);
                        case "--rate-429" -> rate429 = Double.parseDouble(v);
                        case "--rate-500" -> rate500 = Double.parseDouble(v);
                        case "--records-1m" -> records1m = Long.parseLong(v);
                        case "--heap" -> heap = v;
                        case "--weft-jar" -> weftJarOverride = Path.of(v);
                        case "--jvm-opt" -> jvmOpts.add(v);
                        case "--quiet-wait" -> quietWaitSeconds = Integer.parseInt(v);
                        case "--records" -> {
                            String[] kv = v.split("=", 2);
                            if (kv.length != 2) throw new IllegalArgumentException("--records needs SCENARIO=N");
                            records.put(kv[0], Long.parseLong(kv[1]));
                        }
                        default -> throw new IllegalArgumentException("unknown option " + a);
                    }
                }
            }
        }
        if (latencyMs < 1) throw new IllegalArgumentException("--latency-ms must be at least 1");
        root = root.toAbsolutePath().normalize();
        if (java == null) java = Path.of(System.getProperty("java.home"), "bin", "java");
        if (work == null) work = Path.of("/tmp/weft-bench");
        weftJar = weftJarOverride != null ? weftJarOverride.toAbsolutePath() : root.resolve("cli/target/weft.jar");
        benchJar = root.resolve("bench/target/weft-bench.jar");
        probeJar = root.resolve("bench/target/weft-bench-0.1.0-SNAPSHOT-probe.jar");
    }

    private List<Scenario> scenarios() {
        List<Scenario> s = new ArrayList<>();
        s.add(new Scenario("c64", Kind.LIVE, n("c64", quick ? 500 : 2000), 64, 0.95));
        s.add(new Scenario("c256", Kind.LIVE, n("c256", quick ? 1000 : 4000), 256, 0.90));
        s.add(new Scenario("c1024", Kind.LIVE, n("c1024", quick ? 2000 : 16000), 1024, 0.90));
        s.add(new Scenario("replay", Kind.REPLAY, 0, 0, 50_000));
        s.add(new Scenario("cache-only", Kind.CACHE_ONLY, 0, 0, 50_000));
        long big = records1m != null ? records1m : n("stream-1m", quick ? 100_000 : 1_000_000);
        s.add(new Scenario("stream-1m", Kind.STREAM, big, 256, 32));
        if (!only.isEmpty()) s.removeIf(x -> !only.contains(x.name()));
        return s;
    }

    private long n(String scenario, long dflt) {
        return records.getOrDefault(scenario, dflt);
    }

    private int runAll() throws Exception {
        for (Path p : List.of(weftJar, benchJar, probeJar)) {
            if (!Files.isRegularFile(p)) throw new IllegalStateException(p + " is missing; bench/run.sh builds it");
        }
        Files.createDirectories(work);
        LOG.println("bench: work folder " + work + "  (java " + java + ")");
        Scenario replayOf = null;
        Path replayDb = null;
        for (Scenario s : scenarios()) {
            switch (s.kind()) {
                case LIVE -> {
                    Path db = live(s);
                    if (db != null && (replayOf == null || s.n() >= replayOf.n())) {
                        replayOf = s;
                        replayDb = db;
                    }
                }
                case REPLAY, CACHE_ONLY -> {
                    if (replayOf == null) {
                        // replaying alone: make the run to replay first (the smallest live scenario), off the table
                        replayOf = new Scenario("c64", Kind.LIVE, n("c64", quick ? 500 : 2000), 64, 0.95);
                        replayDb = live(replayOf);
                        if (!rows.isEmpty()) rows.removeLast();
                        if (replayDb != null) details.removeLast();
                    }
                    replay(s, replayOf, replayDb);
                }
                case STREAM -> stream(s);
            }
        }
        String report = report();
        System.out.print(report);
        System.out.flush();
        Files.writeString(work.resolve("results.txt"), report, StandardCharsets.UTF_8);
        LOG.println("bench: table also written to " + work.resolve("results.txt"));
        return rows.stream().allMatch(r -> r.result().equals("PASS")) ? 0 : 1;
    }

    // ---- scenarios

    private Path live(Scenario s) throws Exception {
        LOG.printf(Locale.ROOT, "bench: %s: N=%d C=%d L=%dms%s%n", s.name(), s.n(), s.c(), latencyMs, jitterMs > 0 ? " jitter " + jitterMs + "ms" : "");
        Path db = fresh(s.name() + ".db");
        Path workflow = root.resolve("bench/workflows/reference.yaml");
        try (ServerProcess server = ServerProcess.start(java, benchJar, latencyMs, jitterMs, rate429, rate500, work.resolve(s.name() + ".server.log"))) {
            ServerProcess.Stats before = server.stats();
            long serverCpu0 = server.cpuNanos();
            Measured m = weft(s.name(), workflow, db, s.n(), s.c(), modelArgs(server.baseUrl(), s.c()), false);
            ServerProcess.Stats after = server.stats();
            long serverCpu = server.cpuNanos() - serverCpu0;
            RunStore store = new RunStore(db);
            RunStore.Run run = m.run();
            if (m.exit() != 0 || run == null || run.finishedAt() == null) {
                failRow(s, m);
                return null;
            }
            long calls = after.requests() - before.requests();
            int[] perRecord = store.callsPerRecord(run.id(), (int) s.n());
            int chain = Arrays.stream(perRecord).max().orElse(0);
            double lat = Bound.meanLatencySeconds(latencyMs, jitterMs);
            Bound bound = new Bound(calls, chain, lat, s.c());
            double t = run.seconds();
            double ratio = bound.ratio(t);
            double cpuRun = (m.probe().cpuAt(run.finishedAt()) - m.probe().cpuAt(run.createdAt())) / 1e6;
            rows.add(new Row(s.name(), s.n(), s.c(), latency(), calls, run.steps(), t, calls / t, bound.idealCallsPerSecond(),
                    bound.callsPerSecond(), ratio, run.steps() / t, cpuRun / calls, "call", m.probe().hwmKb / 1024.0,
                    m.probe().peakHeap() / MB, m.foreignCpu(serverCpu / 1e9) / m.processSeconds(), String.format(Locale.ROOT, "ratio >= %.2f", s.target()),
                    ratio >= s.target() && run.failed() == 0 ? "PASS" : "MISS"));
            long storeCalls = Arrays.stream(perRecord).asLongStream().sum();
            details.add(String.format(Locale.ROOT,
                    "%s: records %d done / %d failed; calls %d at the server (store: %d calls + retries, %d retries), %.3f per record,"
                            + " longest chain %d; server max in flight %d of C=%d%n"
                            + "    run window %.2f s (process %.2f s); T_bound %.2f s = max(K*L/C %.2f s, chain*L %.2f s);"
                            + " greedy zero-overhead schedule %.2f s (ratio vs it %.3f)%n"
                            + "    engine CPU %.2f s in the run window (%.0f%% of 2 cores), %.2f s in all; server CPU %.2f s"
                            + " (%.3f ms per call); GCs %d, pauses %d ms; store %.0f MB",
                    s.name(), run.done(), run.failed(), calls, storeCalls, run.retries(), (double) calls / s.n(), chain,
                    after.maxInFlight(), s.c(), t, m.processSeconds(), bound.seconds(), calls * lat / s.c(), chain * lat,
                    Bound.greedy(perRecord, s.c(), lat), Bound.greedy(perRecord, s.c(), lat) / t,
                    cpuRun / 1000, 100 * cpuRun / 1000 / (t * 2), m.probe().totalCpuNanos() / 1e9, serverCpu / 1e9,
                    serverCpu / 1e6 / Math.max(1, calls), m.probe().gcCount(), m.probe().gcPauseMillis(), store.fileBytes() / MB)
                    + String.format("%n    ") + ceiling(cpuRun / calls, serverCpu / 1e6 / Math.max(1, calls), bound, s.target())
                    + String.format("%n    ") + m.cpuSplit(serverCpu / 1e9) + "; " + quietNotes.getOrDefault(s.name(), ""));
            return db;
        }
    }

    private void replay(Scenario s, Scenario of, Path originalDb) throws Exception {
        boolean cacheOnly = s.kind() == Kind.CACHE_ONLY;
        LOG.printf(Locale.ROOT, "bench: %s of %s (N=%d C=%d)%n", s.name(), of.name(), of.n(), of.c());
        if (originalDb == null) {
            rows.add(new Row(s.name(), of.n(), of.c(), "-", 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, "step", Double.NaN, Double.NaN, Double.NaN, ">= 50000 steps/s", "MISS (no run to replay)"));
            return;
        }
        // Replay a copy, so the replays do not see each other's rows.
        Path db = fresh(s.name() + ".db");
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Path from = Path.of(originalDb + suffix);
            if (Files.exists(from)) Files.copy(from, Path.of(db + suffix));
        }
        Path workflow = root.resolve("bench/workflows/reference.yaml");
        ServerProcess server = cacheOnly ? null
                : ServerProcess.start(java, benchJar, latencyMs, jitterMs, rate429, rate500, work.resolve(s.name() + ".server.log"));
        try {
            long before = server == null ? 0 : server.stats().requests();
            long serverCpu0 = server == null ? 0 : server.cpuNanos();
            String url = server == null ? "http://127.0.0.1:9/v1" : server.baseUrl();
            List<String> extra = new ArrayList<>(modelArgs(url, of.c()));
            if (cacheOnly) extra.add("--cache-only");
            Measured m = weft(s.name(), workflow, db, of.n(), of.c(), extra, false);
            long calls = server == null ? 0 : server.stats().requests() - before;
            double serverCpu = server == null ? 0 : (server.cpuNanos() - serverCpu0) / 1e9;
            RunStore.Run run = m.run();
            if (m.exit() != 0 || run == null || run.finishedAt() == null) {
                failRow(s, m);
                return;
            }
            double t = run.seconds();
            double stepsPerSecond = run.steps() / t;
            double cpuRun = (m.probe().cpuAt(run.finishedAt()) - m.probe().cpuAt(run.createdAt())) / 1e6;
            boolean allHits = run.calls() == 0 && calls == 0 && run.failed() == 0;
            rows.add(new Row(s.name(), of.n(), of.c(), "-", calls, run.steps(), t, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                    stepsPerSecond, cpuRun / run.steps(), "step", m.probe().hwmKb / 1024.0, m.probe().peakHeap() / MB,
                    m.foreignCpu(serverCpu) / m.processSeconds(), ">= 50000 steps/s", stepsPerSecond >= s.target() && allHits ? "PASS" : allHits ? "MISS" : "MISS (not all hits)"));
            details.add(String.format(Locale.ROOT,
                    "%s: replay of %s's store (copy); %d steps, %d cache hits, %d model calls (server saw %d), %d failed;"
                            + " run window %.2f s (process %.2f s)%n"
                            + "    engine CPU %.2f s in the run window (%.0f%% of 2 cores, %.1f us per step), %.2f s in all; GCs %d, pauses %d ms",
                    s.name(), of.name(), run.steps(), run.cacheHits(), run.calls(), calls, run.failed(), t, m.processSeconds(),
                    cpuRun / 1000, 100 * cpuRun / 1000 / (t * 2), cpuRun * 1000 / run.steps(), m.probe().totalCpuNanos() / 1e9,
                    m.probe().gcCount(), m.probe().gcPauseMillis()) + String.format("%n    ") + m.cpuSplit(serverCpu) + "; " + quietNotes.getOrDefault(s.name(), ""));
        } finally {
            if (server != null) server.close();
        }
    }

    private void stream(Scenario s) throws Exception {
        LOG.printf(Locale.ROOT, "bench: %s: N=%d C=%d, transform-only workflow, -Xmx%s%n", s.name(), s.n(), s.c(), heap);
        Path db = fresh(s.name() + ".db");
        Measured m = weft(s.name(), root.resolve("bench/workflows/stream.yaml"), db, s.n(), s.c(), List.of(), true);
        RunStore.Run run = m.run();
        if (m.exit() != 0 || run == null || run.finishedAt() == null) {
            failRow(s, m);
            return;
        }
        double t = run.seconds();
        double cpuRun = (m.probe().cpuAt(run.finishedAt()) - m.probe().cpuAt(run.createdAt())) / 1e6;
        // Match each checkpoint with the forced full GC that followed it.
        List<ProbeLog.Gc> forced = new ArrayList<>(m.probe().forcedGcs());
        StringBuilder marks = new StringBuilder();
        Map<Double, Double> live = new LinkedHashMap<>();
        for (Checkpoint cp : m.checkpoints()) {
            Optional<ProbeLog.Gc> gc = cp.forced() ? forced.stream().filter(g -> g.atMillis() >= cp.atMillis() - 50).findFirst() : Optional.empty();
            gc.ifPresent(forced::remove);
            String at = String.format(Locale.ROOT, "%3.0f%% (%d settled)", cp.fraction() * 100, cp.settled());
            if (gc.isPresent()) {
                live.put(cp.fraction(), gc.get().after() / MB);
                marks.append(String.format(Locale.ROOT, "    %s: heap after a forced full GC %.1f MB (before it %.1f MB), RSS %.0f MB%n",
                        at, gc.get().after() / MB, gc.get().before() / MB, m.probe().rssAt(gc.get().atMillis()) / 1024.0));
            } else {
                marks.append(String.format(Locale.ROOT, "    %s: no forced GC (the process had ended), RSS %.0f MB%n", at,
                        m.probe().rssAt(cp.atMillis()) / 1024.0));
            }
        }
        Double first = live.get(0.1);
        Double last = live.containsKey(1.0) ? live.get(1.0) : live.get(0.5);
        double growth = first == null || last == null ? Double.NaN : last - first;
        boolean flat = !Double.isNaN(growth) && growth <= s.target();
        rows.add(new Row(s.name(), s.n(), s.c(), "-", 0, run.steps(), t, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                run.steps() / t, cpuRun / run.steps(), "step", m.probe().hwmKb / 1024.0, m.probe().peakHeap() / MB,
                m.foreignCpu(0) / m.processSeconds(), "Xmx" + heap + ", live heap +<=" + (int) s.target() + "MB", run.done() == s.n() && flat ? "PASS" : "MISS"));
        details.add(String.format(Locale.ROOT,
                "%s: bench/workflows/stream.yaml (sample + 3 templated transforms + a condition, no model call), -Xmx%s;"
                        + " %d records done, %d steps; run window %.1f s (process %.1f s), %.0f records/s%n"
                        + "    engine CPU %.1f s in the run window (%.0f%% of 2 cores, %.1f us per step); GCs %d, pauses %d ms; store %.0f MB%n"
                        + "%s    live-heap growth from 10%% to the last checkpoint: %s",
                s.name(), heap, run.done(), run.steps(), t, m.processSeconds(), run.done() / t, cpuRun / 1000,
                100 * cpuRun / 1000 / (t * 2), cpuRun * 1000 / run.steps(), m.probe().gcCount(), m.probe().gcPauseMillis(),
                new RunStore(db).fileBytes() / MB, marks, Double.isNaN(growth) ? "n/a" : String.format(Locale.ROOT, "%+.1f MB", growth))
                + String.format("%n    ") + m.cpuSplit(0) + "; " + quietNotes.getOrDefault(s.name(), ""));
    }

    private void failRow(Scenario s, Measured m) {
        String why = "MISS (exit " + m.exit() + (m.run() == null ? ", no run" : ", run " + m.run().status()) + "; see " + m.stderr() + ")";
        rows.add(new Row(s.name(), s.n(), s.c(), latency(), 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, "-", m.probe().hwmKb / 1024.0, m.probe().peakHeap() / MB, Double.NaN, "-", why));
        LOG.println("bench: " + s.name() + " failed: " + why);
    }

    /**
     * What the CPU alone allows: both processes share this machine's cores, so no run can make
     * more than cores / (engine CPU per call + server CPU per call) calls a second.
     */
    private static String ceiling(double engineMsPerCall, double serverMsPerCall, Bound bound, double target) {
        int cores = Runtime.getRuntime().availableProcessors();
        double ceiling = cores * 1000.0 / (engineMsPerCall + serverMsPerCall);
        double share = ceiling / bound.callsPerSecond();
        return String.format(Locale.ROOT, "CPU ceiling: %d cores / (%.3f ms engine + %.3f ms server per call) = %.0f calls/s = %.2f of the bound%s",
                cores, engineMsPerCall, serverMsPerCall, ceiling, share,
                share < target ? String.format(Locale.ROOT, " -> the %.2f target needs <= %.3f ms of CPU per call for both processes together",
                        target, cores * 1000.0 / (target * bound.callsPerSecond())) : "");
    }

    private static List<String> modelArgs(String baseUrl, int c) {
        List<String> a = new ArrayList<>();
        for (String profile : List.of("writer", "critic")) {
            a.add("--model");
            a.add(profile + ".base_url=" + baseUrl);
            a.add("--model");
            a.add(profile + ".max_concurrency=" + c);
        }
        return a;
    }

    // ---- one `weft run`

    private Measured weft(String name, Path workflow, Path db, long n, int c, List<String> extra, boolean checkpoints) throws Exception {
        Path probe = work.resolve(name + ".probe");
        Path out = work.resolve(name + ".out");
        Path err = work.resolve(name + ".err");
        Files.deleteIfExists(probe);
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED", "-Xmx" + heap,
                "-javaagent:" + probeJar + "=" + probe + ",100"));
        cmd.addAll(jvmOpts);
        if (jfr) cmd.add("-XX:StartFlightRecording=filename=" + work.resolve(name + ".jfr") + ",settings=profile,dumponexit=true");
        cmd.addAll(List.of("-jar", weftJar.toString(), "run", workflow.toString(), "--db", db.toString(), "-q",
                "--concurrency", Integer.toString(c), "--set", "source.generate=" + n, "--set", "sink.path=" + work.resolve(name + ".jsonl")));
        cmd.addAll(extra);
        Files.writeString(work.resolve(name + ".cmd"), String.join(" ", cmd) + "\n");
        RunStore store = new RunStore(db);
        Set<String> before = store.runIds();
        waitForQuiet(name);
        Map<Long, Map.Entry<String, Long>> procs0 = ThreadCpu.processTicks();
        long busy0 = ThreadCpu.machineBusyTicks();
        long driver0 = selfCpu();
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        ThreadCpu threads = new ThreadCpu(p.pid());
        List<Checkpoint> marks = new ArrayList<>();
        if (checkpoints) {
            double[] fractions = {0.1, 0.5, 1.0};
            int next = 0;
            while (!p.waitFor(250, TimeUnit.MILLISECONDS)) {
                threads.poll();
                if (next >= fractions.length) continue;
                Optional<RunStore.Run> r;
                try {
                    r = store.newRun(before);
                } catch (SQLException busy) {
                    continue;
                }
                if (r.isEmpty() || r.get().settled() < Math.round(fractions[next] * n)) continue;
                long at = System.currentTimeMillis();
                boolean forced = jcmd(p.pid(), "GC.run");
                marks.add(new Checkpoint(fractions[next], r.get().settled(), at, forced));
                LOG.printf(Locale.ROOT, "bench:   %.0f%% settled (%d)%s%n", fractions[next] * 100, r.get().settled(),
                        forced ? ", forced a full GC" : "");
                next++;
            }
            while (next < fractions.length) marks.add(new Checkpoint(fractions[next++], n, System.currentTimeMillis(), false));
        } else {
            while (!p.waitFor(250, TimeUnit.MILLISECONDS)) threads.poll();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double busy = ThreadCpu.ticksToSeconds(ThreadCpu.machineBusyTicks() - busy0);
        double driver = (selfCpu() - driver0) / 1e9;
        Set<Long> ours = new java.util.HashSet<>(Set.of(p.pid(), ProcessHandle.current().pid()));
        ProcessHandle.current().children().forEach(ch -> ours.add(ch.pid())); // the fake server
        String others = ThreadCpu.topOthers(procs0, ThreadCpu.processTicks(), ours, 4);
        int exit = p.exitValue();
        RunStore.Run run = store.newRun(before).orElse(null);
        ProbeLog log = ProbeLog.read(probe);
        if (exit != 0) LOG.println("bench: " + name + ": weft exited " + exit + "; see " + err + " and " + out);
        Path recording = work.resolve(name + ".jfr");
        if (jfr && Files.exists(recording)) {
            try (PrintStream summary = new PrintStream(Files.newOutputStream(work.resolve(name + ".jfr.txt")), true, StandardCharsets.UTF_8)) {
                JfrTop.print(recording, 30, summary);
            } catch (IOException | RuntimeException e) {
                LOG.println("bench: cannot summarise " + recording + ": " + e);
            }
        }
        return new Measured(exit, seconds, run, log, marks, out, err, threads, busy, driver, others);
    }

    /**
     * Waits until the machine is quiet: over one second, CPUs busy for less than {@link #quietCores}
     * (our own idle server and this driver included). Gives up after {@link #quietWaitSeconds}.
     */
    private void waitForQuiet(String name) throws InterruptedException {
        if (quietWaitSeconds <= 0) return;
        long deadline = System.nanoTime() + quietWaitSeconds * 1_000_000_000L;
        double busy = 0;
        int tries = 0;
        do {
            long b0 = ThreadCpu.machineBusyTicks();
            Thread.sleep(1000);
            busy = ThreadCpu.ticksToSeconds(ThreadCpu.machineBusyTicks() - b0);
            if (busy < quietCores) {
                if (tries > 0) LOG.printf(Locale.ROOT, "bench: %s: machine quiet after %d s%n", name, tries);
                quietNotes.put(name, tries == 0 ? "quiet at start" : "waited " + tries + " s for a quiet machine");
                return;
            }
            if (tries == 0) LOG.printf(Locale.ROOT, "bench: %s: other programs use %.2f cores; waiting for a quiet machine...%n", name, busy);
            tries++;
        } while (System.nanoTime() < deadline);
        quietNotes.put(name, String.format(Locale.ROOT, "NOT quiet at start (%.2f cores busy after %d s of waiting)", busy, tries));
        LOG.printf(Locale.ROOT, "bench: %s: the machine stayed busy (%.2f cores); running anyway%n", name, busy);
    }

    private static long selfCpu() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }

    /** Runs a jcmd command against a process; false if it could not (no jcmd, or the process is gone). */
    private boolean jcmd(long pid, String command) {
        Path jcmd = java.resolveSibling("jcmd");
        if (!Files.isExecutable(jcmd)) return false;
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private Path fresh(String file) throws IOException {
        Path p = work.resolve(file);
        for (String suffix : new String[] {"", "-wal", "-shm"}) Files.deleteIfExists(Path.of(p + suffix));
        return p;
    }

    private String latency() {
        return jitterMs > 0 ? latencyMs + "+j" + jitterMs : Long.toString(latencyMs);
    }

    // ---- the report

    private String report() {
        StringBuilder b = new StringBuilder();
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"));
        b.append(String.format(Locale.ROOT, "%nWeft benchmark  %s  (%s mode; %d cores; weft run with -Xmx%s; fake server L=%d ms, jitter %d ms,"
                        + " 429 rate %s, 500 rate %s)%n%n", stamp, quick ? "quick" : "full", Runtime.getRuntime().availableProcessors(),
                heap, latencyMs, jitterMs, rate429, rate500));
        if (weftJarOverride != null) b.append("weft jar: ").append(weftJar).append(String.format("%n"));
        if (!jvmOpts.isEmpty()) b.append("extra JVM options for weft run: ").append(String.join(" ", jvmOpts)).append(String.format("%n%n"));
        b.append(Table.render(rows));
        b.append(String.format(Locale.ROOT, "%nDetails%n"));
        for (String d : details) b.append("  ").append(d).append(String.format("%n"));
        b.append(String.format(Locale.ROOT, """

                How the figures are made
                  calls       chat requests counted by the fake server (GET /stats, before and after the run); it is its own process.
                  wall s      the engine's run window: the run row's created_at to finished_at in the store (workflow loaded, model
                              clients built, to every record settled and the run marked completed); JVM start-up is left out
                              (the "process" seconds under Details include it).
                  calls/s     calls / wall.   ideal C/L = C / L.
                  bound/s     K / T_bound, the zero-overhead bound for the same records: record i makes k_i calls one after
                              another, each takes the mean latency L (= L + jitter/2), at most C are in flight, so no engine can
                              finish before T_bound = max(K*L/C, k_max*L), K = sum k_i (from the server), k_max = longest chain
                              (from the store's steps).   ratio = T_bound / wall = (calls/s) / (bound/s).
                              "greedy" under Details is the zero-overhead makespan of admitting the same records in source order.
                  steps/s     steps recorded in the store for the run / wall (replays: every model step a cache hit).
                  CPU ms/op   CPU time of the `weft run` process (all threads: engine, HTTP, SQLite, JIT, GC) within the run
                              window, from the in-process probe (OperatingSystemMXBean.getProcessCpuTime sampled every 100 ms),
                              per model call (live runs) or per step (replays, stream).
                  RSS MB      peak resident set (VmHWM of /proc/PID/status, read by the probe at exit).
                  heap MB     most heap in use seen: before any GC (GC notifications), in a 100 ms sample, or at exit.
                  stream-1m   bench/workflows/stream.yaml (transform-only, no model calls: 4M calls would take hours here); at 10%%,
                              50%%, 100%% of records settled (polled from the store) the driver forces a full GC (jcmd PID GC.run)
                              and reads the live heap from that GC's notification; PASS = all records done in the heap limit and
                              the live heap grows by at most %d MB from 10%% to 100%%.
                  other cores CPU used by other programs on this machine while the run's process lived (/proc/stat busy time
                              minus the weft process, the fake server and this driver), in cores on average: above ~0.15 the
                              figures of that row are depressed by a shared machine (2 cores). Before each run the driver
                              waits (--quiet-wait) until the machine is quiet.
                  targets     c64 ratio >= 0.95; c256, c1024 ratio >= 0.90; cached replays >= 50,000 steps/s.
                Files (stores, outputs, probe logs, weft stdout/stderr, commands): %s
                """, 32, work));
        return b.toString();
    }
}
