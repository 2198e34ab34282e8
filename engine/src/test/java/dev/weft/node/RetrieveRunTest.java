package dev.weft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.run.CacheMode;
import dev.weft.run.RunMonitor;
import dev.weft.run.RunOptions;
import dev.weft.run.RunResult;
import dev.weft.run.Runner;
import dev.weft.store.IndexTables;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.FakeModelServer;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code retrieve} kind through whole runs: retrieve → llm against the fake OpenAI server, on a
 * small corpus of .txt, .md and .jsonl files whose right passage for each question is known. The
 * passages reach the model's request and the output; the index is built once and reused by the
 * next run, another workflow and a resumed run; an edited file is indexed anew; --cache-only
 * replays the same bytes with no model and no embedding; a bad corpus line fails its records.
 */
class RetrieveRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TemplateEngine TEMPLATES = new TemplateEngine();
    /** Question id → the file its best passage is in. */
    private static final Map<String, String> EXPECTED = Map.of(
            "lava", "docs/guides/volcanoes.md",
            "tides", "docs/guides/tides.txt",
            "bridge", "docs/faq.jsonl",
            "starter", "docs/notes/sourdough.md");

    @TempDir
    Path dir;
    private FakeModelServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = FakeModelServer.start();
        Path from = Path.of(getClass().getResource("/retrieve/corpus").toURI());
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path to = dir.resolve("docs").resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(to);
                else Files.copy(p, to);
            }
        }
        Files.writeString(dir.resolve("questions.jsonl"), """
                {"id": "lava", "question": "What is pahoehoe lava like?"}
                {"id": "tides", "question": "Why are spring tides larger than neap tides?"}
                {"id": "bridge", "question": "How does a suspension bridge carry the weight of its deck?"}
                {"id": "starter", "question": "How often should I feed a sourdough starter?"}
                """);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String workflow(String query, String extraNodes, String edges) {
        return """
                name: rag
                models:
                  writer: {provider: openai, model: small, base_url: "%s", retry_delay: 10ms, max_retries: 0}
                source: {path: questions.jsonl, id: id}
                nodes:
                  context:
                    kind: retrieve
                    corpus: docs/
                    query: "%s"
                    top_k: 2
                    chunk: {size: 300, overlap: 50}
                    output: passages
                %s
                edges:
                  - %s
                sink:
                  path: out.jsonl
                  map: {id: id, top: "passages[0].source", passages: passages%s}
                """.formatted(server.baseUrl(), query, extraNodes, edges, extraNodes.isEmpty() ? "" : ", answer: answer");
    }

    private static final String ANSWER = """
              answer:
                kind: llm
                model: writer
                prompt: |
                  Answer from these passages only.
                  {% for p in passages %}[{{ p.source }}] {{ p.text }}
                  {% endfor %}Question: {{ question }}
            """;

    private String rag() {
        return workflow("{{ question }}", ANSWER, "context -> answer -> END");
    }

    private RunResult run(String yaml, RunOptions options) throws Exception {
        Path wf = dir.resolve("wf.yaml");
        Files.writeString(wf, yaml);
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store).start(wf, options, new RunMonitor());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            return r;
        }
    }

    private Map<String, JsonNode> output() throws Exception {
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        for (String l : Files.readAllLines(dir.resolve("out.jsonl"))) {
            JsonNode n = JSON.readTree(l);
            byId.put(n.get("id").asText(), n);
        }
        return byId;
    }

    private List<IndexTables.Header> indexes() {
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            return new IndexTables(store).headers();
        }
    }

    private String requestFor(String questionText) {
        return server.log().stream().filter(r -> r.lastUserMessage() != null && r.lastUserMessage().contains(questionText))
                .map(FakeModelServer.RecordedRequest::lastUserMessage).reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void theRightPassagesReachThePromptAndTheOutput() throws Exception {
        RunResult r = run(rag(), RunOptions.defaults().withConcurrency(8));
        assertEquals(4, r.counters().done());
        Map<String, JsonNode> out = output();
        assertEquals(List.of("lava", "tides", "bridge", "starter"), new ArrayList<>(out.keySet()), "source order");
        EXPECTED.forEach((id, file) -> assertTrue(out.get(id).get("top").asText().startsWith(file + ":"), id + ": " + out.get(id)));

        JsonNode lava = out.get("lava").get("passages");
        assertEquals(2, lava.size());
        JsonNode first = lava.get(0);
        assertEquals(List.of("text", "source", "score", "chunk", "meta"), iterable(first.fieldNames()));
        assertTrue(first.get("text").asText().contains("Pahoehoe is lava"), first.toString());
        assertEquals("Volcanoes > Lava types", first.get("meta").get("heading").asText());
        assertTrue(first.get("score").asDouble() > lava.get(1).get("score").asDouble());
        assertTrue(first.get("score").asDouble() > 0.4 && first.get("score").asDouble() <= 1, first.toString());
        JsonNode bridge = out.get("bridge").get("passages").get(0);
        assertEquals("docs/faq.jsonl:1", bridge.get("source").asText());
        assertEquals("bridge-1", bridge.get("meta").get("id").asText());
        assertEquals("Suspension bridges", bridge.get("meta").get("title").asText());

        // The model was asked with the passages in its prompt.
        String prompt = requestFor("pahoehoe lava");
        assertTrue(prompt.contains("[" + first.get("source").asText() + "] " + first.get("text").asText() + "\n"), prompt);
        assertTrue(prompt.contains("[" + lava.get(1).get("source").asText() + "] " + lava.get(1).get("text").asText() + "\n"), prompt);
        assertTrue(requestFor("suspension bridge").contains("[docs/faq.jsonl:1] A suspension bridge hangs its deck"));

        List<IndexTables.Header> stored = indexes();
        assertEquals(1, stored.size());
        assertEquals(1, stored.get(0).builds());
        assertTrue(stored.get(0).chunks() >= 24, "a few dozen chunks: " + stored.get(0).chunks());

        // The run keeps the corpus's manifest under the corpus's path (so a dashboard's folder check covers it).
        var wf = new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES).load(dir.resolve("wf.yaml"), Overrides.NONE);
        String manifest = wf.bundle().get(dir.resolve("docs").toAbsolutePath().normalize().toString());
        assertTrue(manifest != null && manifest.contains("\"guides/volcanoes.md\"") && manifest.contains(stored.get(0).corpusDigest()), wf.bundle().keySet().toString());
    }

    @Test
    void theNextRunAndAnotherWorkflowReuseTheIndexAndCacheOnlyReplaysTheSameBytes() throws Exception {
        run(rag(), RunOptions.defaults());
        byte[] first = Files.readAllBytes(dir.resolve("out.jsonl"));
        long calls = server.requests();
        IndexTables.Header built = indexes().get(0);

        // Again: every step is remembered, nothing is called or rebuilt.
        RunResult again = run(rag(), RunOptions.defaults());
        assertEquals(calls, server.requests());
        assertEquals(4, again.counters().cacheHits());
        assertEquals(List.of(built), indexes(), "the index is neither rebuilt nor changed");

        // A fresh search in another workflow (other query, no model at all) loads the stored index.
        run(workflow("Tell me about {{ question }}", "", "context -> END"), RunOptions.defaults());
        assertEquals(List.of(built), indexes());
        assertTrue(output().get("lava").get("top").asText().startsWith("docs/guides/volcanoes.md:"));

        // --no-cache searches again (the same index) and finds the same passages.
        run(rag(), RunOptions.defaults().withCacheMode(CacheMode.REFRESH));
        assertEquals(List.of(built), indexes());
        assertEquals(new String(first), Files.readString(dir.resolve("out.jsonl")));

        // Offline replay: no model server at all, same bytes.
        server.close();
        run(rag(), RunOptions.defaults().withCacheMode(CacheMode.ONLY));
        assertEquals(new String(first), Files.readString(dir.resolve("out.jsonl")));
    }

    @Test
    void anEditedCorpusFileIsIndexedAnewAndOnlyWhatItChangesIsAskedAgain() throws Exception {
        run(rag(), RunOptions.defaults());
        long calls = server.requests();
        Files.writeString(dir.resolve("docs/guides/tides.txt"), """

                Spring tides are larger than neap tides because at new and full moon the Sun and the Moon pull
                along the same line, so their tidal bulges add up into one larger bulge.
                """, StandardOpenOption.APPEND);
        run(rag(), RunOptions.defaults());
        List<IndexTables.Header> stored = indexes();
        assertEquals(2, stored.size(), "a new index for the new content; the old one is kept");
        assertNotEquals(stored.get(0).corpusDigest(), stored.get(1).corpusDigest());
        assertTrue(output().get("tides").get("passages").get(0).get("text").asText().contains("their tidal bulges add up"),
                output().get("tides").toString());
        // The other questions found the same passages, so their prompts are remembered: only the tides question is asked again.
        assertEquals(calls + 1, server.requests());
    }

    @Test
    void aResumedRunSearchesTheCorpusItStartedWith() throws Exception {
        server.failFirst("spring tides", 1, 500);
        RunResult r = run(rag(), RunOptions.defaults());
        assertEquals(1, r.counters().failed(), "the tides question failed at the model");
        String original = Files.readString(dir.resolve("docs/guides/tides.txt"));
        Files.writeString(dir.resolve("docs/guides/tides.txt"), "Spring tides happen in spring, says this edited file.\n");

        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult resumed = new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store)
                    .resume(r.runId(), Overrides.NONE, null, Map.of(), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, resumed.status(), resumed.message());
            assertEquals(0, resumed.counters().failed());
        }
        String prompt = requestFor("spring tides");
        assertFalse(prompt.contains("says this edited file"), prompt);
        String firstPassage = output().get("tides").get("passages").get(0).get("text").asText();
        assertTrue(original.contains(firstPassage.lines().findFirst().orElseThrow()), firstPassage);
        assertEquals(1, indexes().size(), "the index the run started with, from the store");
        assertEquals(1, indexes().get(0).builds());
    }

    @Test
    void aBadCorpusLineFailsTheRecordsThatSearchWithFileAndLine() throws Exception {
        Files.writeString(dir.resolve("docs/faq.jsonl"), "{\"id\": \"x\", \"text\": \"fine\"}\nnot json at all\n", StandardOpenOption.APPEND);
        RunResult r = run(rag(), RunOptions.defaults());
        assertEquals(4, r.counters().failed());
        assertEquals(0, server.requests(), "no record reached the model");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            List<RecordRow> rows = store.records(r.runId(), -1, 10);
            for (RecordRow row : rows) {
                assertEquals(RecordStatus.FAILED, row.status());
                assertTrue(row.error().startsWith("node 'context': corpus docs/faq.jsonl:9: not valid JSON (Unrecognized token 'not'"), row.error());
            }
            assertTrue(new IndexTables(store).headers().isEmpty());
        }
    }

    @Test
    void anEmptyQueryFailsItsRecord() throws Exception {
        Files.writeString(dir.resolve("questions.jsonl"), "{\"id\": \"blank\", \"question\": \"  \"}\n{\"id\": \"lava\", \"question\": \"pahoehoe\"}\n");
        RunResult r = run(workflow("{{ question }}", "", "context -> END"), RunOptions.defaults());
        assertEquals(1, r.counters().failed());
        assertEquals(1, r.counters().done());
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            assertEquals("node 'context': the query is empty for this record; check the fields `query` reads",
                    store.records(r.runId(), -1, 10).get(0).error());
        }
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
