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

    @Test
    void nestedExplodeKeepsTheWholeLineageAndMaxLeavesTheRestOut() throws Exception {
        run("""
                name: nested
                source: {generate: 2}
                nodes:
                  lists:
                    kind: transform
                    set: {groups: "[['a', 'b'], ['c', 'd', 'e']]"}
                  outer:
                    kind: explode
                    items: groups
                    as: group
                  inner:
                    kind: explode
                    items: group
                    as: letter
                    index: at
                    max: 2
                edges:
                  - lists -> outer -> inner -> END
                sink:
                  path: nested.jsonl
                  map: {letter: letter, at: at}
                """, "n.db", 4);
        List<String> got = new ArrayList<>();
        for (JsonNode l : lines("nested.jsonl")) got.add(l.get("letter").asText() + l.get("at").asInt());
        assertEquals(List.of("a0", "b1", "c0", "d1", "a0", "b1", "c0", "d1"), got);
        assertEquals(List.of("0|exploded|2", "0/0|exploded|2", "0/0/0|done|", "0/0/1|done|", "0/1|exploded|2", "0/1/0|done|", "0/1/1|done|",
                        "1|exploded|2"),
                rows("n.db", "SELECT record_id, status, children FROM records ORDER BY seq, path").subList(0, 8));
        assertEquals(List.of("3 items; the 1 beyond max: 2 were left out"), rows("n.db", "SELECT error FROM records WHERE record_id = '0/1'"));
        assertEquals(List.of("/000001/000001"), rows("n.db", "SELECT path FROM records WHERE record_id = '1/1/1'"));
    }

    @Test
    void explodingSomethingThatIsNoListFailsTheRecordAndSaysWhy() throws Exception {
        RunResult r = run("""
                name: not-a-list
                source: {generate: 2}
                nodes:
                  make:
                    kind: transform
                    set: {things: "{'a': 1}", count: 3}
                  split:
                    kind: explode
                    items: things
                edges:
                  - make -> split -> END
                sink: {path: none.jsonl}
                """, "bad.db", 2);
        assertEquals(2, r.counters().failed());
        assertEquals(List.of("node 'split': `items` (things) gave a mapping; it must give a list, or a text with one item per line"),
                rows("bad.db", "SELECT DISTINCT error FROM records"));
    }

    private static final String DEDUP_FLOW = """
            name: dedup-%1$s
            %2$s
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
              answer:
                kind: llm
                model: writer
                prompt: "Answer briefly: {{ question }}"
              unique:
                kind: dedup
                field: "{{ question }}"
                %3$s
            edges:
              - ask -> split -> answer -> unique -> END
            sink:
              path: %1$s.jsonl
              map: {topic: topic, question: question, answer: answer}
            """;

    /** (record id, status, reason) of every leaf record, in record order. */
    private List<String> decisions(String db) throws Exception {
        return rows(db, "SELECT record_id, status, COALESCE(error, '') FROM records WHERE status != 'exploded' ORDER BY seq, path");
    }

    @Test
    void exactDedupDropsTheSameTextIgnoringCaseSpacesAndPunctuation() throws Exception {
        topics("rivers", "deserts", "tides");
        server.answer("Questions about rivers", "Why do rivers meander?\nWhy do rivers  meander!\nWhere does the Nile begin?");
        server.answer("Questions about deserts", "why do RIVERS meander\nWhat is a dune?");
        server.answer("Questions about tides", "What is a dune\nWhy do rivers wander?");
        RunResult r = run(DEDUP_FLOW.formatted("exact", MODELS, "method: exact"), "exact.db", 8);
        assertEquals(List.of(
                "t0/0|done|", "t0/1|filtered|duplicate of t0/0 (exact)", "t0/2|done|",
                "t1/0|filtered|duplicate of t0/0 (exact)", "t1/1|done|",
                "t2/0|filtered|duplicate of t1/1 (exact)", "t2/1|done|"), decisions("exact.db"));
        assertEquals(4, lines("exact.jsonl").size());
        assertEquals(3, r.counters().filtered());
        assertEquals(List.of("unique|3"), rows("exact.db", "SELECT node, COUNT(*) FROM records WHERE status = 'filtered' GROUP BY node"),
                "drops are filtered at the dedup node");
        try (Store store = Store.open(dir.resolve("exact.db"))) {
            // The quality report's dedup figures count every child that reached the node, not its source record once.
            assertEquals(7, store.reachedKind(r.runId(), "dedup"));
            var unique = store.nodeDrops(r.runId()).stream().filter(n -> n.node().equals("unique")).findFirst().orElseThrow();
            assertEquals(7, unique.reached());
            assertEquals(3, unique.dropped());
        }
    }

    @Test
    void aRecordRetriedOnResumeIsDroppedWhenALaterRecordKeptBeforeHoldsItsText() throws Exception {
        // t0 fails at its first model call, t1 asks the same question and is kept and written. On resume, t0 is tried
        // again: t1 is written already, so t0 is the duplicate — the output never holds the same question twice.
        topics("rivers", "deserts");
        server.answer("Questions about rivers", "Why do rivers meander?");
        server.answer("Questions about deserts", "Why do rivers meander?");
        server.failFirst("Questions about rivers", 1, 400);
        Path wf = dir.resolve("wf.yaml");
        Files.writeString(wf, DEDUP_FLOW.formatted("retried", MODELS, "method: exact").replace("BASE_URL", server.baseUrl()));
        try (Store store = Store.open(dir.resolve("retried.db"))) {
            Runner runner = new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store);
            RunResult first = runner.start(wf, RunOptions.defaults().withConcurrency(4), new RunMonitor());
            assertEquals(1, first.counters().failed(), first.message());
            RunResult resumed = runner.resume(first.runId(), dev.weft.workflow.Overrides.NONE, null, java.util.Map.of(), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, resumed.status(), resumed.message());
        }
        assertEquals(List.of("t0/0|filtered|duplicate of t1/0 (exact)", "t1/0|done|"), decisions("retried.db"));
        assertEquals(1, lines("retried.jsonl").size());
    }

    @Test
    void whatDedupKeptInAnAttemptThatDidNotFinishIsForgottenWhenTheRecordSettlesAnotherWay() throws Exception {
        // r0 is kept at the dedup node, then fails after it. Resumed, its first node (cache: false) now answers something the
        // filter drops before the dedup node, so r0 ends filtered there. r2 failed before the dedup node twice; resumed once more,
        // it holds r0's old text — and must be kept: r0's final attempt never kept that text.
        topics("r0", "r1", "r2");
        Path wf = dir.resolve("wf.yaml");
        Files.writeString(wf, """
                name: stale
                %s
                source: {path: topics.jsonl, id: id}
                nodes:
                  ask: {kind: llm, model: writer, prompt: "Question for {{ topic }}", cache: false}
                  check: {kind: filter, drop: "'DROP' in ask", reason: dropped upstream}
                  unique: {kind: dedup, field: ask}
                  finish: {kind: llm, model: writer, prompt: "Finish {{ topic }}"}
                edges:
                  - ask -> check -> unique -> finish -> END
                sink: {path: stale.jsonl, map: {id: id, ask: ask}}
                """.formatted(MODELS).replace("BASE_URL", server.baseUrl()));
        server.answer("Question for r0", "Alpha question");
        server.answer("Question for r1", "Beta question");
        server.answer("Question for r2", "Alpha question");
        server.failFirst("Finish r0", 1, 400);
        server.failFirst("Question for r2", 2, 400);
        try (Store store = Store.open(dir.resolve("stale.db"))) {
            Runner runner = new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store);
            RunResult first = runner.start(wf, RunOptions.defaults().withConcurrency(1), new RunMonitor());
            assertEquals(2, first.counters().failed(), first.message());
            server.clearAnswers();
            server.answer("Question for r0", "DROP this one");
            server.answer("Question for r2", "Alpha question");
            RunResult second = runner.resume(first.runId(), dev.weft.workflow.Overrides.NONE, null, java.util.Map.of(), new RunMonitor());
            assertEquals(1, second.counters().failed(), second.message());
            RunResult third = runner.resume(first.runId(), dev.weft.workflow.Overrides.NONE, null, java.util.Map.of(), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, third.status(), third.message());
        }
        assertEquals(List.of("t0|filtered|dropped upstream", "t1|done|", "t2|done|"), decisions("stale.db"));
    }

    @Test
    void minhashDedupDropsNearDuplicatesAboveTheThreshold() throws Exception {
        topics("bees", "ants");
        server.answer("Questions about bees", "How do honey bees turn flower nectar into honey?\nWhy do honey bees dance inside the hive?");
        server.answer("Questions about ants", "How do honey bees turn the flower nectar into honey?\nHow do ants find food?\nWhy do the honey bees dance inside the hive?");
        run(DEDUP_FLOW.formatted("minhash", MODELS, "method: minhash\n    threshold: 0.6"), "minhash.db", 8);
        List<String> d = decisions("minhash.db");
        assertEquals("t0/0|done|", d.get(0));
        assertEquals("t0/1|done|", d.get(1));
        assertTrue(d.get(2).matches("t1/0\\|filtered\\|duplicate of t0/0 \\(minhash 0\\.\\d\\d\\)"), d.get(2));
        assertEquals("t1/1|done|", d.get(3));
        assertTrue(d.get(4).startsWith("t1/2|filtered|duplicate of t0/1 (minhash "), d.get(4));
    }

    @Test
    void embeddingDedupDropsParaphrases() throws Exception {
        topics("accounts", "travel");
        server.answer("Questions about accounts", "How do I reset my password?\nHow can I delete my account?");
        server.answer("Questions about travel", "How can I reset my password?\nWhat is the capital of France?\nWhich city is the capital of France?");
        run(DEDUP_FLOW.formatted("embedding", MODELS, "method: embedding\n    threshold: 0.8"), "embedding.db", 8);
        List<String> d = decisions("embedding.db");
        assertEquals(List.of("t0/0|done|", "t0/1|done|"), d.subList(0, 2));
        assertTrue(d.get(2).startsWith("t1/0|filtered|duplicate of t0/0 (embedding 0."), d.get(2));
        assertEquals("t1/1|done|", d.get(3));
        assertTrue(d.get(4).startsWith("t1/2|filtered|duplicate of t1/1 (embedding 0."), d.get(4));
        // The kept records' vectors are kept with their steps, with the embedder that made them (resume restores them).
        String note = rows("embedding.db", "SELECT note FROM steps WHERE node = 'unique' AND seq = 0 AND path = '/000000'").get(0);
        assertTrue(note.contains("\"embedder\":\"all-MiniLM-L6-v2") && note.contains("\"vector\":"), note);
        assertEquals(List.of(""), rows("embedding.db", "SELECT COALESCE(note, '') FROM steps WHERE node = 'unique' AND seq = 1 AND path = '/000000'"),
                "a dropped record leaves no note");
    }

    @Test
    void dedupKeepsTheSameRecordsAtConcurrency1And7And64() throws Exception {
        // 30 source records of 4 questions each, drawn from a small pool with reworded near-duplicates:
        // many records are duplicates of one another, and which one comes first is fixed by record order only.
        String[] pool = {
                "How do honey bees turn flower nectar into honey?", "How do honey bees turn the flower nectar into honey?",
                "Why is the sky blue during the day?", "Why is the sky blue during the daytime?",
                "What causes the ocean tides to rise and fall?", "What causes ocean tides to rise and fall?",
                "How do volcanoes form along plate boundaries?", "Why do cats purr when they are content?",
                "How does a rainbow form after rain?", "How does a rainbow form after the rain?",
                "What makes a desert so dry?", "Why do leaves change colour in autumn?", "Why do leaves change color in the autumn?"};
        String[] topics = new String[30];
        for (int i = 0; i < topics.length; i++) {
            topics[i] = "subject " + i;
            StringBuilder qs = new StringBuilder();
            for (int k = 0; k < 4; k++) qs.append(pool[(i * 7 + k * 5) % pool.length]).append(" (set ").append((i + k) % 3).append(")\n");
            server.answer("Questions about subject " + i + ",", qs.toString());
        }
        topics(topics);
        server.latency(2).jitter(30); // answers come back in a different order every time
        String flow = DEDUP_FLOW.formatted("jitter", MODELS, "method: minhash\n    threshold: 0.7");
        List<String> reference = null;
        String referenceBytes = null;
        for (int concurrency : new int[] {1, 7, 64}) {
            run(flow, "c" + concurrency + ".db", concurrency);
            List<String> d = decisions("c" + concurrency + ".db");
            String bytes = Files.readString(dir.resolve("jitter.jsonl"));
            if (reference == null) {
                reference = d;
                referenceBytes = bytes;
                long dropped = d.stream().filter(x -> x.contains("|filtered|duplicate of")).count();
                assertTrue(dropped >= 30 && dropped <= 115, "a real share of duplicates: " + dropped + " of 120 dropped");
                // Every drop names a record before it, which was kept.
                Set<String> kept = new LinkedHashSet<>();
                for (String x : d) {
                    String[] f = x.split("\\|", 3);
                    if (f[1].equals("done")) kept.add(f[0]);
                    else assertTrue(kept.contains(f[2].replaceAll("^duplicate of (\\S+) .*$", "$1")), "names a kept earlier record: " + x);
                }
            } else {
                assertEquals(reference, d, "the same decisions at concurrency " + concurrency);
                assertEquals(referenceBytes, bytes, "the same bytes at concurrency " + concurrency);
            }
        }
    }
}
