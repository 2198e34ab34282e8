package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.FakeModelServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose records explode into children that are answered and then deduplicated, killed with
 * SIGKILL while children run and resumed, several times: the output is byte-identical to an
 * uninterrupted run, the store holds the same records with the same dedup decisions (each child
 * once), no request whose answer was stored before a kill is sent again, and the counts match.
 */
class ExplodeResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TOPICS = 30;

    @TempDir
    Path dir;

    @AfterEach
    void killLeftovers() throws InterruptedException {
        Harness.killLeftovers();
    }

    private Path workflow(FakeModelServer server) throws Exception {
        String[] pool = {
                "How do honey bees turn flower nectar into honey?", "How do honey bees turn the flower nectar into honey?",
                "Why is the sky blue during the day?", "Why is the sky blue during the daytime?",
                "What causes the ocean tides to rise and fall?", "What causes ocean tides to rise and fall?",
                "How do volcanoes form along plate boundaries?", "Why do cats purr when they are content?",
                "How does a rainbow form after rain?", "What makes a desert so dry?", "Why do leaves change colour in autumn?"};
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < TOPICS; i++) {
            data.append("{\"id\": \"t").append(i).append("\", \"topic\": \"subject ").append(i).append("\"}\n");
            StringBuilder qs = new StringBuilder();
            for (int k = 0; k < 4; k++) qs.append(pool[(i * 7 + k * 5) % pool.length]).append(" (part ").append(k).append(")\n");
            server.answer("Questions about subject " + i + ",", qs.toString());
        }
        Files.createDirectories(dir.resolve("data"));
        Files.writeString(dir.resolve("data/topics.jsonl"), data, StandardCharsets.UTF_8);
        Path wf = dir.resolve("explode.yaml");
        Files.writeString(wf, """
                name: explode-kill
                models:
                  writer: {provider: openai, model: fake-writer, base_url: "%s", retry_delay: 20ms}
                source: {path: data/topics.jsonl, id: id}
                nodes:
                  ask:
                    kind: llm
                    model: writer
                    prompt: "Questions about {{ topic }}, one per line."
                    output: questions
                  split:
                    kind: explode
                    items: questions
                    as: question
                    index: n
                  answer:
                    kind: llm
                    model: writer
                    prompt: "Answer briefly ({{ topic }}, question {{ n }}): {{ question }}"
                  unique:
                    kind: dedup
                    field: "{{ question }}"
                    method: minhash
                    threshold: 0.7
                edges:
                  - ask -> split -> answer -> unique -> END
                sink:
                  path: out/data.jsonl
                  map: {topic: topic, n: n, question: question, answer: answer}
                """.formatted(server.baseUrl()), StandardCharsets.UTF_8);
        return wf;
    }

    private static final String DECISIONS = "SELECT seq, path, record_id, status, COALESCE(error, ''), COALESCE(children, '') FROM records ORDER BY seq, path";

    private static final String SETTLED = "SELECT seq, path, status, updated_at FROM records WHERE status IN ('done', 'filtered') ORDER BY seq, path";

    @Test
    void killedWhileChildrenRunAndResumedWritesTheSameBytesAndDecisions() throws Exception {
        Random random = new Random(Long.getLong("weft.seed", 20_261_121L));
        try (FakeModelServer server = FakeModelServer.start()) {
            server.latency(30).jitter(20);
            Path wf = workflow(server);
            Cli.Result reference = Cli.run("run", wf.toString(), "--db", dir.resolve("reference.db").toString(), "-q",
                    "--set", "sink.path=out/reference.jsonl", "--concurrency", "6");
            assertEquals(0, reference.exit(), reference.toString());
            String expected = Files.readString(dir.resolve("out/reference.jsonl"));
            List<String> expectedRows = Harness.rows(dir.resolve("reference.db"), DECISIONS);
            int rows = expectedRows.size();
            assertTrue(expectedRows.stream().anyMatch(r -> r.contains("duplicate of")), "the reference dropped duplicates");

            Path db = dir.resolve("killed.db");
            List<Integer> marks = new ArrayList<>();
            List<Set<String>> storedAtKill = new ArrayList<>();
            Harness.Run run = Harness.start(dir, "run", wf.toString(), "--db", db.toString(), "-q", "--concurrency", "6");
            String runId = null;
            int settled = 0;
            int partial = 0;
            int kills = 3;
            List<String> settledAtLastKill = List.of();
            for (int k = 0; k < kills; k++) {
                int further = 1 + random.nextInt(Math.max(1, (rows - settled) / (kills - k + 1)));
                Harness.awaitSettled(db, settled + further, run, 60);
                Thread.sleep(random.nextInt(30));
                run.kill();
                settled = Harness.settled(db);
                assertTrue(settled < rows, "kill " + (k + 1) + " landed before the end");
                assertEquals("ok", Harness.integrity(db));
                // Parents whose children had not all settled when the process died.
                partial += Integer.parseInt(Harness.sql(db, """
                        SELECT COUNT(*) FROM records p WHERE p.status = 'exploded' AND p.children >
                          (SELECT COUNT(*) FROM records c WHERE c.run_id = p.run_id AND c.seq = p.seq AND c.path > p.path)"""));
                settledAtLastKill = Harness.rows(db, SETTLED);
                storedAtKill.add(KillResumeTest.cachedRequests(db));
                marks.add(server.log().size());
                if (runId == null) runId = Harness.sql(db, "SELECT id FROM runs");
                run = Harness.start(dir, "resume", runId, "--db", db.toString(), "-q");
            }
            assertEquals(0, run.exit(120), "the last resume completes\n" + run);
            assertTrue(partial > 0, "some kill landed while a parent's children were running");

            assertEquals(expected, Files.readString(dir.resolve("out/data.jsonl")), "resumed output differs from the uninterrupted run's");
            assertEquals(expectedRows, Harness.rows(db, DECISIONS), "the same records, lineage and dedup decisions");
            assertEquals(Harness.rows(dir.resolve("reference.db"), "SELECT done, failed, filtered FROM runs"),
                    Harness.rows(db, "SELECT done, failed, filtered FROM runs"), "the same counts");
            assertEquals("completed", Harness.sql(db, "SELECT status FROM runs"));
            List<String> after = Harness.rows(db, SETTLED);
            for (String r : settledAtLastKill) assertTrue(after.contains(r), "a record settled before the kill was not run again: " + r);
            List<FakeModelServer.RecordedRequest> log = server.log();
            for (int k = 0; k < kills; k++) {
                int to = k + 1 < kills ? marks.get(k + 1) : log.size();
                for (FakeModelServer.RecordedRequest r : log.subList(marks.get(k), to)) {
                    assertFalse(storedAtKill.get(k).contains(KillResumeTest.messagesOf(JSON.readTree(r.body()))),
                            "after kill " + (k + 1) + ", asked again for a step whose answer was stored: " + r.lastUserMessage());
                }
            }
            Cli.Result show = Cli.run("show", runId, "--db", db.toString());
            assertEquals(0, show.exit(), show.toString());
            assertTrue(show.out().contains("explode   " + TOPICS + " records fanned out into " + (TOPICS * 4) + " children"), show.out());
        }
    }
}
