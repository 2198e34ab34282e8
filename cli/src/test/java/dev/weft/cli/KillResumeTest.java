package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.FakeModelServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A `weft run` process killed with SIGKILL mid-run and then resumed writes exactly the bytes of
 * an uninterrupted run, each record once, and never asks the server again for a step that had
 * finished (was in the store) before the kill.
 */
class KillResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECORDS = 40;

    @TempDir
    Path dir;

    @Test
    void killedRunResumesToTheSameBytesWithoutRepeatingFinishedCalls() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            server.latency(40);
            Path wf = Fixtures.workflow(dir, server.baseUrl(), RECORDS);

            Cli.Result reference = Cli.run("run", wf.toString(), "--db", dir.resolve("ref.db").toString(), "-q",
                    "--set", "sink.path=out/reference.jsonl", "--concurrency", "8");
            assertEquals(0, reference.exit(), reference.toString());
            byte[] expected = Files.readAllBytes(dir.resolve("out/reference.jsonl"));

            Path db = dir.resolve("killed.db");
            Process p = Cli.start(dir, "run", wf.toString(), "--db", db.toString(), "-q",
                    "--set", "sink.path=out/resumed.jsonl", "--concurrency", "8");
            waitForSettledRecords(db, RECORDS / 3, p);
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
            p.waitFor();

            String runId = single(db, "SELECT id FROM runs");
            assertEquals("running", single(db, "SELECT status FROM runs"), "a killed run could not record its end");
            Cli.Result listed = Cli.run("runs", "--db", db.toString());
            assertTrue(listed.out().contains(runId + "  kill-test                stopped"), "`weft runs` sees the process is gone: " + listed.out());
            Set<String> finishedCalls = cachedRequests(db);
            int settledBefore = Integer.parseInt(single(db, "SELECT COUNT(*) FROM records"));
            assertTrue(settledBefore < RECORDS, "the kill must land mid-run");
            int logMark = server.log().size();

            Process resume = Cli.start(dir, "resume", runId, "--db", db.toString(), "-q");
            assertEquals(0, Cli.waitFor(resume, 120), "resume exit code");

            assertEquals(new String(expected), Cli.read(dir.resolve("out/resumed.jsonl")), "resumed output differs");
            List<String> ids = new ArrayList<>();
            for (String line : Cli.read(dir.resolve("out/resumed.jsonl")).split("\n")) ids.add(JSON.readTree(line).get("id").asText());
            assertEquals(RECORDS, ids.size());
            assertEquals(RECORDS, new HashSet<>(ids).size(), "every record exactly once");

            List<FakeModelServer.RecordedRequest> after = server.log().subList(logMark, server.log().size());
            assertTrue(!after.isEmpty(), "the resumed run had work left to do");
            for (FakeModelServer.RecordedRequest r : after) {
                String messages = messagesOf(JSON.readTree(r.body()));
                assertTrue(!finishedCalls.contains(messages), "asked again for a finished step: " + r.lastUserMessage());
            }
            assertEquals("completed", single(db, "SELECT status FROM runs"));
        }
    }

    @Test
    void ctrlCMarksTheRunInterruptedAndResumeFinishesIt() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            server.latency(60);
            Path wf = Fixtures.workflow(dir, server.baseUrl(), RECORDS);
            Path db = dir.resolve("interrupted.db");
            Process p = Cli.start(dir, "run", wf.toString(), "--db", db.toString(), "-q", "--concurrency", "4");
            waitForSettledRecords(db, 5, p);
            p.destroy(); // SIGTERM, which runs the same shutdown path as Ctrl-C (SIGINT)
            assertEquals(143, Cli.waitFor(p, 30), "the JVM ends on the signal");
            assertEquals("interrupted", single(db, "SELECT status FROM runs"));
            assertTrue(single(db, "SELECT message FROM runs").contains("weft resume"));

            Cli.Result resumed = Cli.run("resume", single(db, "SELECT id FROM runs").substring(0, 15), "--db", db.toString(), "-q");
            assertEquals(0, resumed.exit(), resumed.toString());
            assertEquals(RECORDS, Cli.read(dir.resolve("out/data.jsonl")).split("\n").length);
            assertEquals("completed", single(db, "SELECT status FROM runs"));
        }
    }

    private static void waitForSettledRecords(Path db, int n, Process p) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            if (!p.isAlive()) throw new AssertionError("weft run ended before it could be killed (exit " + p.exitValue() + ")");
            if (Files.exists(db)) {
                try {
                    String c = single(db, "SELECT COUNT(*) FROM records");
                    if (c != null && Integer.parseInt(c) >= n) return;
                } catch (SQLException notYet) {
                    // tables not created yet
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the run did not settle " + n + " records in time");
    }

    static String single(Path db, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); ResultSet rs = c.createStatement().executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** The messages of every model call whose answer is in the store. */
    static Set<String> cachedRequests(Path db) throws Exception {
        Set<String> out = new HashSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             ResultSet rs = c.createStatement().executeQuery("SELECT request FROM cache")) {
            while (rs.next()) out.add(messagesOf(JSON.readTree(rs.getString(1))));
        }
        return out;
    }

    /** role and content of each message, in order: the same for a wire body and a stored request. */
    static String messagesOf(JsonNode body) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode m : body.path("messages")) sb.append(m.path("role").asText()).append('\u0001').append(m.path("content").asText()).append('\u0002');
        return sb.toString();
    }
}
