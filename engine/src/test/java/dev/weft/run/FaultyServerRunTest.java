package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.store.NodeStats;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunRow;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.FakeModelServer;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole run (sample → llm → judge → jsonl sink) against a real OpenAI-compatible server that
 * answers one request in four with a 429, a 500 or a dropped connection: every record must still
 * come out, in source order, with the retries accounted for.
 */
class FaultyServerRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECORDS = 200;
    private FakeModelServer server;

    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        server = FakeModelServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Path workflow(Path folder) throws Exception {
        Files.createDirectories(folder);
        String digits = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";
        Path file = folder.resolve("workflow.yaml");
        Files.writeString(file, """
                name: faulty-server
                seed: 11
                models:
                  writer:
                    provider: openai
                    model: gpt-fake
                    base_url: %s
                    max_retries: 8
                    retry_delay: 10ms
                    timeout: 10s
                    max_concurrency: 16
                    price_per_1k: {input: 0.001, output: 0.002}
                source:
                  generate: %d
                nodes:
                  pick:
                    kind: sample
                    attributes:
                      a: %s
                      b: %s
                      c: %s
                  write:
                    kind: llm
                    model: writer
                    prompt: "Write item number {{ a }}{{ b }}{{ c }} of the list."
                    output: text
                  grade:
                    kind: judge
                    model: writer
                    rubric: "Is this a good list item? {{ text }}"
                edges:
                  - pick -> write -> grade -> END
                sink:
                  path: out.jsonl
                  format: raw
                """.formatted(server.baseUrl(), RECORDS, digits, digits, digits));
        return file;
    }

    private static RunResult run(Path workflow, Store store, int concurrency) {
        Runner runner = new Runner(new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine()), new TemplateEngine(), store);
        return runner.start(workflow, RunOptions.defaults().withConcurrency(concurrency), new RunMonitor());
    }

    @Test
    void everyRecordComesOutInOrderDespiteRateLimitsErrorsAndDroppedConnections() throws Exception {
        // The same workflow against a healthy server, one record at a time: the expected output.
        Path healthyFile = workflow(dir.resolve("healthy"));
        List<String> expected;
        try (Store store = Store.open(dir.resolve("healthy.db"))) {
            RunResult r = run(healthyFile, store, 1);
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            expected = Files.readAllLines(dir.resolve("healthy/out.jsonl"));
        }
        assertEquals(RECORDS, expected.size());
        assertEquals(2L * RECORDS, server.answered());
        assertEquals(2L * RECORDS, server.requests());
        assertTrue(new HashSet<>(expected).size() > RECORDS / 2, "records differ, so their order can be checked");

        server.resetCounters();
        server.rate429(0.1).rate500(0.1).rateReset(0.05);
        Path faultyFile = workflow(dir.resolve("faulty"));
        Path db = dir.resolve("faulty.db");
        try (Store store = Store.open(db)) {
            RunResult r = run(faultyFile, store, 32);

            String why = r.counters() + " " + store.reasons(r.runId(), RecordStatus.FAILED, 5);
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(0, r.counters().failed(), why);
            assertEquals(RECORDS, r.counters().done(), why);
            assertEquals(RECORDS, r.outputLines());

            List<String> lines = Files.readAllLines(dir.resolve("faulty/out.jsonl"));
            assertEquals(expected, lines, "the same lines in source order as the healthy run");
            for (String line : lines) {
                JsonNode n = JSON.readTree(line);
                String item = "" + n.get("a").asInt() + n.get("b").asInt() + n.get("c").asInt();
                assertTrue(n.get("text").asText().startsWith("Answer: Write item number " + item + " of the list. #"), line);
                int score = n.at("/grade/score").asInt();
                assertTrue(score >= 1 && score <= 10, line);
                assertTrue(n.at("/grade/reason").isTextual(), line);
            }

            RunRow row = store.run(r.runId()).orElseThrow();
            assertEquals(RunStatus.COMPLETED, row.status());
            assertEquals(0, row.counters().failed());
            assertEquals(RECORDS, row.counters().done());
            long retries = row.counters().retries();
            assertTrue(retries > 0, "retries were counted");
            // Every failed request was retried exactly once more, and every record's two calls were answered.
            long failedRequests = server.requests() - server.answered();
            assertEquals(2L * RECORDS, server.answered());
            assertTrue(failedRequests > 0, "the server did fail requests");
            assertEquals(failedRequests, retries, "one retry per failed request");
            assertEquals(2L * RECORDS, row.counters().calls());

            Map<String, NodeStats> stats = store.nodeStats(r.runId()).stream()
                    .collect(Collectors.toMap(NodeStats::node, Function.identity()));
            assertEquals(List.of("pick", "write", "grade"), store.nodeStats(r.runId()).stream().map(NodeStats::node).toList());
            for (String node : List.of("write", "grade")) {
                NodeStats s = stats.get(node);
                assertEquals(RECORDS, s.visits(), node);
                assertEquals(RECORDS, s.calls(), node);
                assertEquals(0, s.failures(), node);
                assertTrue(s.retries() > 0, node + " shows retries: " + s);
            }
            assertEquals(0, stats.get("pick").retries());
            assertEquals(retries, stats.get("write").retries() + stats.get("grade").retries());
        }
    }
}
