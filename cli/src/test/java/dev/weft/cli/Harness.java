package dev.weft.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Helpers of the reliability tests: `weft` as a real process with its own environment and its
 * output kept in known files, SQLite queries on a store file, and the switch for long variants.
 */
final class Harness {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final List<Process> STARTED = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Harness() {}

    /** A started `weft` process and where its output goes. */
    record Run(Process process, Path stdout, Path stderr) {
        String out() throws IOException {
            return Files.readString(stdout, StandardCharsets.UTF_8);
        }

        String err() throws IOException {
            return Files.readString(stderr, StandardCharsets.UTF_8);
        }

        /** Waits for the exit code; kills the process and fails if it takes longer than {@code seconds}. */
        int exit(long seconds) throws InterruptedException, IOException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
                throw new AssertionError("weft did not finish within " + seconds + " s\n--- out\n" + out() + "\n--- err\n" + err());
            }
            return process.exitValue();
        }

        /** SIGKILL: no shutdown hook, no flush, nothing. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }

        @Override
        public String toString() {
            try {
                return "--- out\n" + out() + "\n--- err\n" + err();
            } catch (IOException e) {
                return e.toString();
            }
        }
    }

    /** True when the long variants should run: {@code -Dweft.long=true} or {@code WEFT_LONG=1}. */
    static boolean longVariants() {
        String env = System.getenv("WEFT_LONG");
        return Boolean.getBoolean("weft.long") || "1".equals(env) || "true".equalsIgnoreCase(env);
    }

    /** Starts `weft ARGS` as a separate JVM on the test class path, with {@code env} added to its environment. */
    static Run start(Path dir, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:TieredStopAtLevel=1"); // these processes live for seconds: start fast
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Weft.class.getName());
        cmd.addAll(List.of(args));
        int n = SEQ.incrementAndGet();
        Path out = dir.resolve("weft-" + n + ".out");
        Path err = dir.resolve("weft-" + n + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        STARTED.add(p);
        return new Run(p, out, err);
    }

    /** Kills (SIGKILL, which also ends a stopped process) every process these helpers started that still runs; for @AfterEach. */
    static void killLeftovers() throws InterruptedException {
        for (Process p : STARTED) {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor();
            }
        }
        STARTED.clear();
    }

    static Run start(Path dir, String... args) throws IOException {
        return start(dir, Map.of(), args);
    }

    /** The first column of the first row, or null. */
    static String sql(Path db, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); ResultSet rs = c.createStatement().executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** Every row's columns joined by tabs, in the query's order. */
    static List<String> rows(Path db, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); ResultSet rs = c.createStatement().executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= n; i++) b.append(i == 1 ? "" : "\t").append(rs.getString(i));
                out.add(b.toString());
            }
        }
        return out;
    }

    /** SQLite's own check of the whole file: "ok", or what is broken. */
    static String integrity(Path db) throws SQLException {
        return String.join("; ", rows(db, "PRAGMA integrity_check"));
    }

    /** Records settled in the store so far (0 while the tables do not exist yet). */
    static int settled(Path db) {
        if (!Files.exists(db)) return 0;
        try {
            String c = sql(db, "SELECT COUNT(*) FROM records");
            return c == null ? 0 : Integer.parseInt(c);
        } catch (SQLException notYet) {
            return 0;
        }
    }

    /** Waits until the store has {@code n} settled records; fails if the process ends first or it takes too long. */
    static void awaitSettled(Path db, int n, Run run, long seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!run.process().isAlive()) throw new AssertionError("weft ended (exit " + run.process().exitValue() + ") before "
                    + n + " records settled\n" + run);
            if (settled(db) >= n) return;
            Thread.sleep(5);
        }
        throw new AssertionError("the run did not settle " + n + " records in " + seconds + " s\n" + run);
    }

    /** The "retries N" figure of a `weft show` summary. */
    static long summaryRetries(String show) {
        for (String line : show.split("\n")) {
            if (line.startsWith("steps ")) {
                String[] parts = line.split("·");
                for (String p : parts) if (p.trim().startsWith("retries ")) return Long.parseLong(p.trim().substring(8).trim());
            }
        }
        throw new AssertionError("no retries figure in:\n" + show);
    }

    /** The per-node table of a `weft show` summary: node name to its columns (kind, visits, calls, hits, retries, failed, ...). */
    static Map<String, String[]> nodeTable(String show) {
        Map<String, String[]> out = new java.util.LinkedHashMap<>();
        boolean in = false;
        for (String line : show.split("\n")) {
            if (line.startsWith("node ") && line.contains("retries")) {
                in = true;
                continue;
            }
            if (in) {
                if (line.isBlank()) break;
                String[] cols = line.trim().split("\\s+");
                out.put(cols[0], java.util.Arrays.copyOfRange(cols, 1, cols.length));
            }
        }
        if (out.isEmpty()) throw new AssertionError("no per-node table in:\n" + show);
        return out;
    }
}
