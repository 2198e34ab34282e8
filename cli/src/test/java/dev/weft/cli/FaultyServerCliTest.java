package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.FakeModelServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `weft run` against a model server that answers one request in five with a 429 (with
 * Retry-After) or a 500, and besides lets requests hang past the profile's timeout and drops
 * connections: the run completes, every record comes out exactly as from a healthy server, and
 * `weft show` counts every retry, per node and in total.
 */
class FaultyServerCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aRunThroughRateLimitsErrorsTimeoutsAndResetsLosesNothingAndCountsItsRetries() throws Exception {
        int records = Harness.longVariants() ? 400 : 60;
        try (FakeModelServer server = FakeModelServer.start()) {
            server.latency(5).hangMillis(120_000).retryAfterSeconds(0.05).seed(7);
            Path wf = Fixtures.workflow(dir, server.baseUrl(), records);
            String[] profiles = {
                "--model", "writer.timeout=400ms", "--model", "critic.timeout=400ms",
                "--model", "writer.max_retries=12", "--model", "critic.max_retries=12",
            };

            Cli.Result healthy = Cli.run(concat(new String[] {"run", wf.toString(), "--db", dir.resolve("healthy.db").toString(), "-q",
                    "--set", "sink.path=out/healthy.jsonl", "--concurrency", "8"}, profiles));
            assertEquals(0, healthy.exit(), healthy.toString());
            assertEquals(0, Harness.summaryRetries(healthy.out()), "a healthy server needs no retries");
            byte[] expected = Files.readAllBytes(dir.resolve("out/healthy.jsonl"));

            server.resetCounters();
            server.rate429(0.10).rate500(0.10).rateTimeout(0.03).rateReset(0.03);
            Path db = dir.resolve("faulty.db");
            long t0 = System.nanoTime();
            Cli.Result faulty = Cli.run(concat(new String[] {"run", wf.toString(), "--db", db.toString(), "-q",
                    "--set", "sink.path=out/faulty.jsonl", "--concurrency", "8"}, profiles));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertEquals(0, faulty.exit(), faulty.toString());

            // Nothing lost, nothing doubled, nothing changed.
            String out = Files.readString(dir.resolve("out/faulty.jsonl"), StandardCharsets.UTF_8);
            assertEquals(new String(expected, StandardCharsets.UTF_8), out, "the same bytes as against the healthy server");
            List<String> lines = out.lines().toList();
            assertEquals(records, lines.size());
            HashSet<String> ids = new HashSet<>();
            for (String l : lines) ids.add(JSON.readTree(l).get("id").asText());
            assertEquals(records, ids.size(), "every record exactly once");

            // What the server did: every request it did not answer 200 was retried once.
            List<FakeModelServer.RecordedRequest> log = server.log();
            Map<Integer, Long> byStatus = new java.util.TreeMap<>();
            for (FakeModelServer.RecordedRequest r : log) byStatus.merge(r.status(), 1L, Long::sum);
            long failedRequests = log.stream().filter(r -> r.status() != 200).count();
            assertTrue(byStatus.getOrDefault(429, 0L) > 0 && byStatus.getOrDefault(500, 0L) > 0, byStatus.toString());
            assertTrue(byStatus.getOrDefault(-1, 0L) > 0, "some requests hung past the timeout: " + byStatus);
            assertTrue(byStatus.getOrDefault(0, 0L) > 0, "some connections were dropped: " + byStatus);

            // What `weft show` says: the summary and the per-node table agree with the server.
            String runId = Harness.sql(db, "SELECT id FROM runs");
            Cli.Result show = Cli.run("show", runId, "--db", db.toString());
            assertEquals(0, show.exit(), show.toString());
            long summary = Harness.summaryRetries(show.out());
            Map<String, String[]> table = Harness.nodeTable(show.out());
            long perNode = 0;
            for (String[] cols : table.values()) perNode += Long.parseLong(cols[4]); // kind visits calls hits retries
            System.out.printf("faulty run: %d records in %.1f s, server statuses %s, show: %d retries (%s)%n", records, seconds,
                    byStatus, summary, table.keySet());
            assertEquals(failedRequests, summary, "one retry per failed request, in the summary:\n" + show.out());
            assertEquals(summary, perNode, "the per-node retries add up to the summary:\n" + show.out());
            assertTrue(Long.parseLong(table.get("question")[4]) > 0 && Long.parseLong(table.get("grade")[4]) > 0,
                    "retries are counted on the nodes that made them:\n" + show.out());
            assertEquals(summary, Harness.summaryRetries(faulty.out()), "the run's own summary says the same");
            assertTrue(show.out().contains("records   " + records + " done · 0 failed"), show.out());
        }
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
