package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.store.NodeStats;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunStatus;
import dev.weft.store.StepRow;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.FakeModelServer;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code workflow} kind through whole runs against the fake OpenAI server: another workflow file
 * runs as one node with fields mapped in and out and a value overridden; a record it drops is
 * dropped, one it fails fails, each with both nodes named; its calls are cached like any other, so
 * a replay makes none and an edited child prompt re-asks only that node; the caller's step carries
 * the child's calls for `weft show` and the trace.
 */
class WorkflowNodeRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private FakeModelServer server;

    @BeforeEach
    void start() {
        server = FakeModelServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** Records a (kept), b (dropped by the child's filter), c (its grade never answers JSON). */
    private Path workflow() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("in.jsonl"), """
                {"id": "a", "topic": "volcanoes"}
                {"id": "b", "topic": "tides"}
                {"id": "c", "topic": "glaciers"}
                """);
        Files.writeString(dir.resolve("sub/refine.yaml"), """
                name: refine
                models:
                  critic: {provider: openai, model: fake-critic, base_url: "%s", retry_delay: 10ms, max_retries: 0, timeout: 20s}
                source: {generate: 1}
                nodes:
                  improve:
                    kind: llm
                    model: critic
                    prompt: "Improve this answer about {{ topic }}: {{ draft }}"
                    output: answer
                  grade:
                    kind: judge
                    model: critic
                    rubric: "Rate: {{ answer }}"
                  keep:
                    kind: filter
                    rules:
                      - drop: "'REFUSE' in answer"
                        reason: "refused to improve ({{ topic }})"
                edges:
                  - improve -> grade -> keep -> END
                """.formatted(server.baseUrl()));
        Path wf = dir.resolve("workflow.yaml");
        Files.writeString(wf, """
                name: polish-answers
                models:
                  writer: {provider: openai, model: fake, base_url: "%s", retry_delay: 10ms, max_retries: 0, timeout: 20s}
                source: {path: in.jsonl, id: id}
                nodes:
                  draft:
                    kind: llm
                    model: writer
                    prompt: "Draft {{ id }}: write about {{ topic }}."
                  polish:
                    kind: workflow
                    workflow: sub/refine.yaml
                    input: {draft: draft, topic: "{{ topic | upper }}"}
                    output: {answer: answer, polish_score: grade.score}
                    overrides: {nodes.grade.rubric: "Rate strictly: {{ answer }}"}
                  whole:
                    kind: workflow
                    workflow: sub/refine.yaml
                    input: {draft: answer, topic: "'second pass'"}
                edges:
                  - draft -> polish -> whole -> END
                sink: {path: out.jsonl}
                """.formatted(server.baseUrl()));
        server.answer("Draft a:", "Volcanoes erupt.")
                .answer("Draft b:", "Tides turn.")
                .answer("Draft c:", "Glaciers move.")
                .answer("about VOLCANOES: Volcanoes erupt.", "Volcanoes erupt when magma rises.")
                .answer("about TIDES", "I REFUSE to improve this.")
                .answer("about GLACIERS", "Glaciers move slowly.")
                .answer("about second pass", "Volcanoes erupt when magma rises, as shown.")
                .answer("Rate strictly: Glaciers move slowly.", "A fine answer, I would say seven.")
                .answer("That answer cannot be used", "Still no JSON, sorry.");
        return wf;
    }

    private static RunResult run(Store store, Path wf, RunOptions options) {
        Runner runner = new Runner(new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine()), new TemplateEngine(), store);
        return runner.start(wf, options, new RunMonitor());
    }

    private static Map<String, RecordRow> records(Store store, String runId) {
        Map<String, RecordRow> rows = new HashMap<>();
        for (RecordRow row : store.records(runId, -1, 100)) rows.put(row.recordId(), row);
        return rows;
    }

    @Test
    void aWorkflowRunsAsOneNodeWithFieldsMappedInAndOutAndItsDropsAndFailuresNamed() throws Exception {
        Path wf = workflow();
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults().withConcurrency(3));
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            Map<String, RecordRow> rows = records(store, r.runId());

            // a: the input mapping reached the child (a template and an expression), the override changed its rubric,
            // and the output mapping took its fields back.
            RecordRow a = rows.get("a");
            assertEquals(RecordStatus.DONE, a.status(), a.error());
            JsonNode state = JSON.readTree(a.stateJson());
            assertEquals("Volcanoes erupt when magma rises.", state.get("answer").asText());
            int score = state.get("polish_score").asInt();
            assertTrue(state.get("polish_score").isIntegralNumber() && score >= 1 && score <= 10, state.toString());
            assertFalse(state.has("grade"), "only the mapped fields come back: " + state);
            assertTrue(server.log().stream().anyMatch(q -> q.lastUserMessage().startsWith("Improve this answer about VOLCANOES: Volcanoes erupt.")));
            assertTrue(server.log().stream().anyMatch(q -> q.lastUserMessage().startsWith("Rate strictly: Volcanoes erupt when magma rises.")),
                    "the override replaced the child's rubric");
            assertTrue(server.log().stream().noneMatch(q -> q.lastUserMessage().startsWith("Rate: Volcanoes erupt when magma rises.\n")),
                    "the overridden node never asks with its own rubric");
            assertTrue(server.log().stream().anyMatch(q -> "fake-critic".equals(q.model())), "the child's own model profile is used");

            // Without `output`: every field the child's nodes wrote, as one object under the node's name.
            JsonNode whole = state.get("whole");
            assertEquals(List.of("answer", "grade"), iterable(whole.fieldNames()), whole.toString());
            assertTrue(whole.get("grade").has("score") && whole.get("grade").has("reason"), whole.toString());
            assertTrue(server.log().stream().anyMatch(q -> q.lastUserMessage().startsWith("Rate: ")), "the second node runs the child as written");

            // b: the child's filter dropped it; the parent record is filtered at the workflow node with the child's reason.
            RecordRow b = rows.get("b");
            assertEquals(RecordStatus.FILTERED, b.status());
            assertEquals("polish", b.node());
            assertEquals("polish: refused to improve (TIDES)", b.error());

            // c: the child's judge never answered JSON; the parent record fails naming both nodes.
            RecordRow c = rows.get("c");
            assertEquals(RecordStatus.FAILED, c.status());
            assertEquals("polish", c.node());
            assertTrue(c.error().startsWith("node 'polish': workflow 'refine', node 'grade': the judge's answer could not be used after 2"
                    + " attempts: "), c.error());

            // Only a reaches the sink, with the mapped fields.
            List<String> lines = Files.readAllLines(dir.resolve("out.jsonl"));
            assertEquals(1, lines.size());
            assertEquals("a", JSON.readTree(lines.get(0)).get("id").asText());

            // `weft show`'s per-node table: the workflow node carries the calls its child made; child nodes get no rows.
            Map<String, NodeStats> stats = new HashMap<>();
            for (NodeStats s : store.nodeStats(r.runId())) stats.put(s.node(), s);
            assertEquals(java.util.Set.of("draft", "polish", "whole"), stats.keySet());
            assertEquals("workflow", stats.get("polish").kind());
            assertEquals(3, stats.get("polish").visits());
            // a: improve + grade; b: improve + grade (then dropped); c: improve + grade twice.
            assertEquals(7, stats.get("polish").calls());
            assertEquals(1, stats.get("polish").failures());
            assertEquals(2, stats.get("whole").calls());
            assertTrue(stats.get("polish").tokensIn() > 0);
            assertEquals(3 + 7 + 2, r.counters().calls());
            assertEquals(server.requests(), r.counters().calls());

            // The trace: the workflow node's step lists its child's calls, each in the cache with its request.
            List<StepRow> steps = store.steps(r.runId(), 0);
            StepRow polish = steps.stream().filter(s -> s.node().equals("polish")).findFirst().orElseThrow();
            assertEquals(2, polish.cacheKeys().size());
            assertTrue(store.cacheGet(polish.cacheKeys().get(0)).orElseThrow().requestJson().contains("Improve this answer about VOLCANOES"));
            assertTrue(store.cacheGet(polish.cacheKeys().get(1)).orElseThrow().requestJson().contains("Rate strictly"));
        }
    }

    @Test
    void aReplayMakesNoModelCallAndAnEditedChildPromptAsksOnlyThatNodeAgain() throws Exception {
        Path wf = workflow();
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult first = run(store, wf, RunOptions.defaults());
            assertEquals(RunStatus.COMPLETED, first.status(), first.message());
            byte[] output = Files.readAllBytes(dir.resolve("out.jsonl"));
            assertEquals(12, server.requests());

            server.resetCounters();
            server.clearAnswers(); // a model that would answer differently now is never asked
            RunResult replay = run(store, wf, RunOptions.defaults().withCacheMode(CacheMode.ONLY));
            assertEquals(RunStatus.COMPLETED, replay.status(), replay.message());
            assertEquals(0, server.requests(), "--cache-only: no model call, the child's included");
            assertEquals(1, replay.counters().done());
            assertEquals(1, replay.counters().filtered());
            assertEquals(1, replay.counters().failed(), "c's unusable answers are remembered too");
            assertEquals(new String(output), Files.readString(dir.resolve("out.jsonl")));
            RunResult again = run(store, wf, RunOptions.defaults());
            assertEquals(0, server.requests(), "a second run reads every step, the child's included, from the cache");
            assertEquals(12, again.counters().cacheHits());
            assertEquals(new String(output), Files.readString(dir.resolve("out.jsonl")));

            // Edit the child's `improve` prompt: only that node asks again (its answers are the same, so the
            // grades after it are still hits); the parent's drafts are hits.
            workflow(); // the scripted answers again
            Path child = dir.resolve("sub/refine.yaml");
            Files.writeString(child, Files.readString(child).replace("Improve this answer about", "Make better this answer about"));
            server.resetCounters();
            RunResult edited = run(store, wf, RunOptions.defaults());
            assertEquals(RunStatus.COMPLETED, edited.status(), edited.message());
            assertEquals(1, edited.counters().done(), records(store, edited.runId()).toString());
            assertEquals(4, server.requests(), "improve once per record that reaches it (a, b, c) and once in a's second pass");
            assertTrue(server.log().stream().allMatch(q -> q.lastUserMessage().startsWith("Make better this answer about")), server.log().toString());
            assertEquals(new String(output), Files.readString(dir.resolve("out.jsonl")), "same answers, same bytes");
            // The run keeps the child workflow in its bundle, so a resume runs what it started with.
            assertTrue(store.run(edited.runId()).orElseThrow().bundle().contains("Make better this answer about"));
        }
    }

    @Test
    void cacheFalseOnTheWorkflowNodeAsksItsWorkflowAfreshEveryRun() throws Exception {
        Path wf = workflow();
        Files.writeString(wf, Files.readString(wf).replace("    workflow: sub/refine.yaml\n    input: {draft: answer",
                "    workflow: sub/refine.yaml\n    cache: false\n    input: {draft: answer"));
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            run(store, wf, RunOptions.defaults());
            assertEquals(12, server.requests());
            server.resetCounters();
            RunResult again = run(store, wf, RunOptions.defaults());
            assertEquals(1, again.counters().done());
            assertEquals(2, server.requests(), "only the `whole` node (cache: false) calls again: its improve and grade for record a");
            server.resetCounters();
            RunResult replay = run(store, wf, RunOptions.defaults().withCacheMode(CacheMode.ONLY));
            assertEquals(1, replay.counters().done(), "--cache-only still replays it");
            assertEquals(0, server.requests());
        }
    }

    @Test
    void underTheSimulatorTheWorkflowNodeRunsTheSameWayEveryTime() throws Exception {
        Path wf = workflow();
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults().withSimulate(true));
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(3, r.counters().done(), records(store, r.runId()).toString());
            String out = Files.readString(dir.resolve("out.jsonl"));
            JsonNode a = JSON.readTree(out.lines().findFirst().orElseThrow());
            assertTrue(a.get("polish_score").isIntegralNumber(), a.toString());
            assertTrue(a.get("whole").get("answer").isTextual(), a.toString());
            assertEquals(0, server.requests());
            // A fresh store: the same bytes.
            try (Store other = Store.open(dir.resolve("other.db"))) {
                run(other, wf, RunOptions.defaults().withSimulate(true));
            }
            assertEquals(out, Files.readString(dir.resolve("out.jsonl")));
        }
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
