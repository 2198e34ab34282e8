package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunStatus;
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
 * {@code llm} with {@code schema:} through whole runs, against the fake OpenAI server and the
 * simulator: the model answers JSON of the declared shape (lists within their lengths, nested
 * objects, allowed values), later nodes read its fields and lists, an unusable answer is shown to
 * the model with what is wrong and asked again, then fails its record clearly, and a replay asks
 * nothing.
 */
class LlmSchemaRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> LEVELS = List.of("easy", "hard");

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

    private Path workflow(String ids) throws Exception {
        StringBuilder data = new StringBuilder();
        for (String id : ids.split(",")) data.append("{\"id\": \"").append(id).append("\"}\n");
        Files.writeString(dir.resolve("in.jsonl"), data);
        Path wf = dir.resolve("workflow.yaml");
        Files.writeString(wf, """
                name: questions
                models:
                  writer: {provider: openai, model: fake, base_url: "%s", retry_delay: 10ms, max_retries: 0, timeout: 20s}
                source: {path: in.jsonl, id: id}
                nodes:
                  gen:
                    kind: llm
                    model: writer
                    prompt:
                      system: You write exam questions.
                      user: "Set {{ id }}: write questions about volcanoes."
                    schema:
                      questions: "[string] 3..5"
                      pairs: [{question: string, answer: string}, 2]
                      meta: {difficulty: [easy, hard], minutes: integer 5..60}
                    output: exam
                  count:
                    kind: transform
                    set: {how_many: "exam.questions | length", first: "exam.questions[0]", level: exam.meta.difficulty}
                edges:
                  - gen -> count -> END
                sink: {path: out.jsonl}
                """.formatted(server.baseUrl()));
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

    /** The shape the workflow declares, checked on a written record. */
    private static void assertFits(JsonNode record) {
        JsonNode exam = record.get("exam");
        JsonNode q = exam.get("questions");
        assertTrue(q.isArray() && q.size() >= 3 && q.size() <= 5, "3 to 5 questions: " + exam);
        q.forEach(x -> assertTrue(x.isTextual(), exam.toString()));
        JsonNode pairs = exam.get("pairs");
        assertEquals(2, pairs.size(), exam.toString());
        pairs.forEach(p -> assertTrue(p.get("question").isTextual() && p.get("answer").isTextual() && p.size() == 2, exam.toString()));
        assertTrue(LEVELS.contains(exam.at("/meta/difficulty").asText()), exam.toString());
        int minutes = exam.at("/meta/minutes").asInt();
        assertTrue(exam.at("/meta/minutes").isIntegralNumber() && minutes >= 5 && minutes <= 60, exam.toString());
        // Later nodes read the object's fields and lists.
        assertEquals(q.size(), record.get("how_many").asInt());
        assertEquals(q.get(0).asText(), record.get("first").asText());
        assertEquals(exam.at("/meta/difficulty").asText(), record.get("level").asText());
    }

    @Test
    void theModelAnswersJsonOfTheDeclaredShapeAndLaterNodesReadItsListsAndAReplayAsksNothing() throws Exception {
        Path wf = workflow("a,b,c,d");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults().withConcurrency(4));
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(4, r.counters().done(), records(store, r.runId()).toString());
            assertEquals(4, server.requests());
            List<String> lines = Files.readAllLines(dir.resolve("out.jsonl"));
            assertEquals(4, lines.size());
            for (String line : lines) assertFits(JSON.readTree(line));

            // The request: the prompt, then the schema (with the list lengths) the answer must match.
            String user = server.log().get(0).lastUserMessage();
            assertTrue(user.startsWith("Set "), user);
            String schema = user.substring(user.indexOf("JSON Schema:\n") + "JSON Schema:\n".length());
            JsonNode s = JSON.readTree(schema);
            assertEquals(3, s.at("/properties/questions/minItems").asInt());
            assertEquals(5, s.at("/properties/questions/maxItems").asInt());
            assertEquals("object", s.at("/properties/pairs/items/type").asText());
            assertEquals(2, s.at("/properties/pairs/minItems").asInt());
            assertEquals(2, s.at("/properties/pairs/maxItems").asInt());
            assertEquals(List.of("difficulty", "minutes"), JSON.convertValue(s.at("/properties/meta/required"), List.class));

            byte[] output = Files.readAllBytes(dir.resolve("out.jsonl"));
            server.resetCounters();
            RunResult replay = run(store, wf, RunOptions.defaults().withCacheMode(CacheMode.ONLY));
            assertEquals(4, replay.counters().done(), records(store, replay.runId()).toString());
            assertEquals(0, server.requests(), "--cache-only: no model call");
            assertEquals(new String(output), Files.readString(dir.resolve("out.jsonl")));
        }
    }

    @Test
    void anUnusableAnswerIsAskedAgainWithWhatWasWrongThenFailsItsRecordClearly() throws Exception {
        Path wf = workflow("short,prose,fine");
        String good = "{\"questions\": [\"Why?\", \"How?\", \"When?\"], \"pairs\": [{\"question\": \"Q1\", \"answer\": \"A1\"},"
                + " {\"question\": \"Q2\", \"answer\": \"A2\"}], \"meta\": {\"difficulty\": \"hard\", \"minutes\": 20}}";
        // short: too few questions, then a good answer; prose: never JSON.
        server.answer("Set short:", "{\"questions\": [\"Only one?\"], \"pairs\": [], \"meta\": {\"difficulty\": \"medium\", \"minutes\": 1}}")
                .answer("Set prose:", "Here are some questions about volcanoes for you.")
                .answer("contains no JSON object", "Still prose, sorry.")
                .answer("That answer cannot be used", good);
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            Map<String, RecordRow> rows = records(store, r.runId());

            RecordRow shortOne = rows.get("short");
            assertEquals(RecordStatus.DONE, shortOne.status(), shortOne.error());
            JsonNode exam = JSON.readTree(shortOne.stateJson()).get("exam");
            assertEquals(JSON.readTree(good), exam, "the re-asked answer is the one kept");
            String reAsk = server.log().stream().map(FakeModelServer.RecordedRequest::lastUserMessage)
                    .filter(m -> m.startsWith("That answer cannot be used") && m.contains("questions")).findFirst().orElseThrow();
            // What was wrong, every part of it: the list's length, a list of the wrong length, a value not allowed, a number out of range.
            assertTrue(reAsk.contains("questions") && reAsk.contains("pairs") && reAsk.contains("difficulty") && reAsk.contains("minutes"), reAsk);

            RecordRow prose = rows.get("prose");
            assertEquals(RecordStatus.FAILED, prose.status());
            assertEquals("gen", prose.node());
            assertEquals("node 'gen': the answer of model 'writer' could not be used after 2 attempts: the answer contains no JSON object",
                    prose.error());
            assertEquals(2, server.log().stream().filter(q -> q.body().contains("Set prose:")).count(), "asked once, then once again");

            assertEquals(RecordStatus.DONE, rows.get("fine").status(), rows.get("fine").error());
            assertFits(JSON.readTree(rows.get("fine").stateJson()));
            assertEquals(2, Files.readAllLines(dir.resolve("out.jsonl")).size());
        }
    }

    @Test
    void theSimulatorAnswersTheSchemaWithinItsBoundsTheSameWayEveryTime() throws Exception {
        Path wf = workflow("a,b,c,d,e,f,g,h");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults().withSimulate(true));
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(8, r.counters().done(), records(store, r.runId()).toString());
        }
        String out = Files.readString(dir.resolve("out.jsonl"));
        java.util.Set<Integer> lengths = new java.util.HashSet<>();
        for (String line : out.lines().toList()) {
            JsonNode n = JSON.readTree(line);
            assertFits(n);
            lengths.add(n.get("how_many").asInt());
        }
        assertTrue(lengths.size() > 1, "lengths vary within the bounds: " + lengths);
        try (Store store = Store.open(dir.resolve("other.db"))) {
            run(store, wf, RunOptions.defaults().withSimulate(true));
        }
        assertEquals(out, Files.readString(dir.resolve("out.jsonl")), "the same bytes from a fresh store");
        assertEquals(0, server.requests());
    }

    @Test
    void severalModelsEachAnswerTheSchema() throws Exception {
        Path wf = dir.resolve("multi.yaml");
        Files.writeString(dir.resolve("one.jsonl"), "{\"id\": \"x\"}\n");
        Files.writeString(wf, """
                name: multi
                models:
                  weak: {provider: openai, model: small, base_url: "%1$s", retry_delay: 10ms}
                  strong: {provider: openai, model: large, base_url: "%1$s", retry_delay: 10ms}
                source: {path: one.jsonl, id: id}
                nodes:
                  tags:
                    kind: llm
                    models: [weak, strong]
                    prompt: Tag this text about volcanoes.
                    schema: {tags: [[geology, history, safety], 1..3]}
                edges:
                  - tags -> END
                sink: {path: multi.jsonl}
                """.formatted(server.baseUrl()));
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults());
            assertEquals(1, r.counters().done(), records(store, r.runId()).toString());
        }
        JsonNode tags = JSON.readTree(Files.readString(dir.resolve("multi.jsonl"))).get("tags");
        for (String profile : List.of("weak", "strong")) {
            JsonNode list = tags.get(profile).get("tags");
            assertTrue(list.isArray() && list.size() >= 1 && list.size() <= 3, tags.toString());
            list.forEach(t -> assertTrue(List.of("geology", "history", "safety").contains(t.asText()), tags.toString()));
        }
        assertEquals(List.of("small", "large"), server.log().stream().map(FakeModelServer.RecordedRequest::model).toList());
    }
}
