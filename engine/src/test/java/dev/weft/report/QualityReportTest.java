package dev.weft.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.Version;
import dev.weft.run.RunMonitor;
import dev.weft.run.RunOptions;
import dev.weft.run.RunResult;
import dev.weft.run.Runner;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunStatus;
import dev.weft.store.StepRow;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.FakeModelServer;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.Workflow;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quality report and the dataset card of a real run: the language mix of the generated texts,
 * what each filter dropped, and dedup counts taken from the steps' node kind (so any node of kind
 * {@code dedup} counts, whoever implements it).
 */
class QualityReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TemplateEngine TEMPLATES = new TemplateEngine();

    @TempDir
    Path dir;
    private FakeModelServer server;

    @BeforeEach
    void start() {
        server = FakeModelServer.start();
        server.answer("Topic:", "The answer explains the topic in plain words, with one short example that a reader can follow easily.")
                .answer("Thema:", "Die Antwort erklärt das Thema in einfachen Worten und gibt ein kurzes Beispiel, dem man leicht folgen kann.");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Path workflow() throws Exception {
        StringBuilder in = new StringBuilder();
        for (String t : List.of("rivers", "bridges", "comets", "tides", "volcanoes", "rainbows")) in.append("{\"prompt\": \"Topic: ").append(t).append("\"}\n");
        for (String t : List.of("Flüsse", "Brücken", "Kometen", "Gezeiten")) in.append("{\"prompt\": \"Thema: ").append(t).append("\"}\n");
        in.append("{\"prompt\": \"Topic: skip me\"}\n");
        Files.writeString(dir.resolve("in.jsonl"), in);
        Path wf = dir.resolve("wf.yaml");
        Files.writeString(wf, """
                name: bilingual
                models:
                  writer: {provider: openai, model: writer, base_url: "%s", retry_delay: 10ms, temperature: 0.3}
                source: {path: in.jsonl}
                nodes:
                  answer:
                    kind: llm
                    model: writer
                    prompt: "{{ prompt }}"
                  quality:
                    kind: filter
                    drop: "'skip me' in prompt"
                    reason: a test record
                edges:
                  - answer -> quality -> END
                sink: {path: out/data.jsonl, map: {prompt: prompt, answer: answer, lang: "language(answer)"}}
                """.formatted(server.baseUrl()));
        return wf;
    }

    @Test
    void theReportAndTheCardGiveTheLanguageMixAndWhatEachFilterDropped() throws Exception {
        Path wf = workflow();
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store)
                    .start(wf, RunOptions.defaults().withConcurrency(4), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            Workflow w = new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES).load(wf, Overrides.NONE);
            QualityReport q = QualityReport.of(store, r.runId(), w, store.countersFromRows(r.runId()));
            JsonNode j = q.json();
            assertEquals("{\"en\":0.6,\"de\":0.4}", j.at("/texts/answer/languages").toString());
            assertEquals(10, j.at("/texts/answer/language_sample").asInt());
            assertEquals("{\"kind\":\"filter\",\"reached\":11,\"dropped\":1,\"rate\":0.0909}", j.at("/dropped_at/quality").toString());
            assertFalse(j.get("dropped_at").has("answer"), "a node that drops nothing and is no filter is not listed");
            assertEquals(0, j.at("/records/dedup_reached").asInt());
            assertEquals(0.0, j.at("/records/dedup_rate").asDouble());
            String text = q.text();
            assertTrue(text.contains("filter rate 9.1%, dedup rate 0.0%"), text);
            assertTrue(text.contains("  answer                    en 60.0%  de 40.0%"), text);
            assertTrue(text.matches("(?s).*\\n  quality\\s+filter\\s+11\\s+1\\s+9\\.1%\\n.*"), text);
        }
        // The language function in the sink map and the card beside the output.
        List<String> out = Files.readAllLines(dir.resolve("out/data.jsonl"));
        assertEquals(10, out.size());
        assertEquals(6, out.stream().filter(l -> l.endsWith("\"lang\":\"en\"}")).count());
        assertEquals(4, out.stream().filter(l -> l.endsWith("\"lang\":\"de\"}")).count());
        String card = Files.readString(dir.resolve("out/README.md"));
        assertTrue(card.startsWith("---\npretty_name: \"bilingual\"\nsize_categories:\n- n<1K\nlanguage:\n- en\n- de\ntask_categories:"), card);
        assertTrue(card.contains("Generated with Weft " + Version.CURRENT + " on "), card);
        assertTrue(card.contains("| `data.jsonl` | 10 | `prompt`, `answer`, `lang` |"), "size and fields: " + card);
        assertTrue(card.contains("| `writer` | openai | `writer` | 0.3 |"), "models and their parameters: " + card);
        assertTrue(card.matches("(?s).*SHA-256 of the workflow and its prompt files: `[0-9a-f]{64}`.*"), "the workflow's hash: " + card);
        assertTrue(card.contains("Model calls: 11 (0 answers reused from the cache, 0 retries). Tokens: "), "calls, cache hits, tokens: " + card);
        assertTrue(card.contains("## Filtered and deduplicated\n\n| node | kind | records in | dropped |\n| --- | --- | --- | --- |\n| `quality` | filter | 11 | 1 |\n"), card);
        assertTrue(card.contains("| a test record | 1 |"), card);
        assertFalse(card.contains("Deduplication dropped"), "no dedup node, no dedup line");
        assertTrue(card.contains("languages en 60%, de 40%"), card);
    }

    @Test
    void recordsDroppedAtNodesOfKindDedupAreCountedFromTheStore() throws Exception {
        Path wf = workflow();
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store)
                    .start(wf, RunOptions.defaults().withConcurrency(4), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            // What a dedup node leaves in the store: a step of kind `dedup` per record it saw, and the
            // records it dropped settled `filtered` there. Written here as any node kind's steps are.
            List<RecordRow> rows = store.records(r.runId(), -1, 100);
            int dropped = 0;
            for (RecordRow row : rows) {
                if (row.status() != RecordStatus.DONE) continue;
                store.step(new StepRow(r.runId(), row.seq(), "uniq", 0, "dedup", System.currentTimeMillis(), 1, 0, 0, 0, 0, 0, 0, List.of(), null));
                if (row.seq() % 3 == 0) {
                    store.recordFinished(new RecordRow(r.runId(), row.seq(), row.recordId(), RecordStatus.FILTERED, row.stateJson(),
                            "near-duplicate of an earlier record", "uniq"));
                    dropped++;
                }
            }
            store.flush();
            assertEquals(4, dropped);
            Workflow w = new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES).load(wf, Overrides.NONE);
            QualityReport q = QualityReport.of(store, r.runId(), w, store.countersFromRows(r.runId()));
            JsonNode j = q.json();
            assertEquals(10, j.at("/records/dedup_reached").asInt());
            assertEquals(4, j.at("/records/dedup_dropped").asInt());
            assertEquals(0.4, j.at("/records/dedup_rate").asDouble());
            assertEquals("{\"kind\":\"dedup\",\"reached\":10,\"dropped\":4,\"rate\":0.4}", j.at("/dropped_at/uniq").toString());
            assertEquals(List.of("quality", "uniq"), iterate(j.get("dropped_at")), "workflow nodes first, in their order");
            assertTrue(q.text().contains("dedup rate 40.0%"), q.text());
            Path card = DatasetCard.write(new DatasetCard.Facts(r.runId(), w, store.countersFromRows(r.runId()), false, 0L),
                    dir.resolve("out/data.jsonl"), q);
            String c = Files.readString(card);
            assertTrue(c.contains("Deduplication dropped 4 of the 10 records that reached it (40.0%)."), c);
            assertTrue(c.contains("| `uniq` | dedup | 10 | 4 |"), c);
            assertTrue(c.contains("| near-duplicate of an earlier record | 4 |"), c);
        }
    }

    @Test
    void aReadmeTheUserWroteBesideTheOutputIsLeftAloneAndTheCardGoesBesideIt() throws Exception {
        Path wf = workflow();
        Files.createDirectories(dir.resolve("out"));
        Files.writeString(dir.resolve("out/README.md"), "# My notes on this folder\n");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            Runner runner = new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store);
            RunResult r = runner.start(wf, RunOptions.defaults().withConcurrency(4), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals("# My notes on this folder\n", Files.readString(dir.resolve("out/README.md")));
            String card = Files.readString(dir.resolve("out/data.README.md"));
            assertTrue(card.startsWith("---\npretty_name: \"bilingual\""), card);
            assertTrue(r.message().contains("data.README.md") && r.message().contains("was not written by Weft"), r.message());
            // A card Weft wrote is Weft's to replace.
            Files.delete(dir.resolve("out/README.md"));
            Files.move(dir.resolve("out/data.README.md"), dir.resolve("out/README.md"));
            Files.writeString(dir.resolve("out/README.md"), Files.readString(dir.resolve("out/README.md")).replace("Generated with", "Old card, generated with"));
            RunResult again = runner.start(wf, RunOptions.defaults().withConcurrency(4), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, again.status(), again.message());
            assertEquals(null, again.message());
            assertFalse(Files.readString(dir.resolve("out/README.md")).contains("Old card"), "replaced");
            assertFalse(Files.exists(dir.resolve("out/data.README.md")));
        }
    }

    private static List<String> iterate(JsonNode object) {
        List<String> names = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
