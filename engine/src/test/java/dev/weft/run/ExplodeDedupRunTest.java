package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.FakeModelServer;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * explode and dedup through whole runs against the HTTP test server: child ids, lineage and
 * output order, nested and empty explodes, each dedup method with known duplicates, and a dedup
 * whose kept set and output bytes are the same at concurrency 1, 7 and 64 while the server's
 * latency jitters.
 */
class ExplodeDedupRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TemplateEngine TEMPLATES = new TemplateEngine();

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

    private RunResult run(String yaml, String db, int concurrency) throws Exception {
        Path wf = dir.resolve("wf.yaml");
        Files.writeString(wf, yaml.replace("BASE_URL", server.baseUrl()));
        try (Store store = Store.open(dir.resolve(db))) {
            RunResult r = new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store)
                    .start(wf, RunOptions.defaults().withConcurrency(concurrency), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            return r;
        }
    }

    private List<JsonNode> lines(String out) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve(out))) lines.add(JSON.readTree(l));
        return lines;
    }

    /** Every row of a query, columns joined by '|'. */
    private List<String> rows(String db, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(db)); ResultSet rs = c.createStatement().executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= n; i++) b.append(i == 1 ? "" : "|").append(rs.getString(i) == null ? "" : rs.getString(i));
                out.add(b.toString());
            }
        }
        return out;
    }

    private void topics(String... topics) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < topics.length; i++) b.append("{\"id\": \"t").append(i).append("\", \"topic\": \"").append(topics[i]).append("\"}\n");
        Files.writeString(dir.resolve("topics.jsonl"), b.toString());
    }

    private static final String MODELS = """
            models:
              writer: {provider: openai, model: writer, base_url: "BASE_URL", retry_delay: 10ms, max_concurrency: 64}
            """;

    @Test
    void explodeMakesChildRecordsWithLineageInSourceOrder() throws Exception {
        topics("rivers", "deserts", "volcanoes");
        server.answer("Questions about rivers", "Why do rivers meander?\nWhere does the Nile begin?\n\n  How long is the Amazon?  ");
        server.answer("Questions about volcanoes", "[\"What makes a volcano erupt?\", \"Is Etna active?\"]");
        server.answer("Questions about deserts", "[]");
        RunResult r = run("""
                name: explode-test
                %s
                source: {path: topics.jsonl, id: id}
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
                    index: question_no
                  answer:
                    kind: llm
                    model: writer
                    prompt: "Answer briefly: {{ question }}"
                edges:
                  - ask -> split -> answer -> END
                sink:
                  path: out.jsonl
                  map: {topic: topic, no: question_no, question: question, answer: answer}
                """.formatted(MODELS), "a.db", 8);
        List<JsonNode> out = lines("out.jsonl");
        List<String> got = new ArrayList<>();
        for (JsonNode l : out) got.add(l.get("topic").asText() + "#" + l.get("no").asInt() + " " + l.get("question").asText());
        assertEquals(List.of("rivers#0 Why do rivers meander?", "rivers#1 Where does the Nile begin?", "rivers#2 How long is the Amazon?",
                "volcanoes#0 What makes a volcano erupt?", "volcanoes#1 Is Etna active?"), got, "source order, children in index order");
        for (JsonNode l : out) assertTrue(l.get("answer").asText().contains(l.get("question").asText()), "each child ran on: " + l);

        assertEquals(List.of(
                        "0||t0|exploded|split|3",
                        "0|/000000|t0/0|done||",
                        "0|/000001|t0/1|done||",
                        "0|/000002|t0/2|done||",
                        "1||t1|filtered|split|",
                        "2||t2|exploded|split|2",
                        "2|/000000|t2/0|done||",
                        "2|/000001|t2/1|done||"),
                rows("a.db", "SELECT seq, path, record_id, status, node, children FROM records ORDER BY seq, path"));
        assertEquals("explode: no items", rows("a.db", "SELECT error FROM records WHERE record_id = 't1'").get(0));
        // Each child has its own steps (keyed by its path); the parent's steps end at the explode.
        assertEquals(List.of("ask", "split"), rows("a.db", "SELECT node FROM steps WHERE seq = 0 AND path = '' ORDER BY started_at, rowid"));
        assertEquals(List.of("answer"), rows("a.db", "SELECT node FROM steps WHERE seq = 0 AND path = '/000001'"));
        assertEquals(5, r.counters().done(), "done counts the records that reached END: the children");
        assertEquals(1, r.counters().filtered());
        assertEquals(5, server.log().stream().filter(q -> q.lastUserMessage().startsWith("Answer briefly")).count());
    }
}
