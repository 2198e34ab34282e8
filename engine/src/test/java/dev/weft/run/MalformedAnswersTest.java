package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
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
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Answers a real server may send that are not what was asked for, through a whole run against the
 * fake OpenAI server: a judge that never answers JSON, an empty answer, a 5 MB answer, invalid
 * UTF-8 in the body, and a JSON escape of a lone surrogate. Each affects its own record only, the
 * run completes, the store stays readable and the output is valid UTF-8.
 */
class MalformedAnswersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int HUGE = 5 * 1024 * 1024;

    @TempDir
    Path dir;

    private static final String[][] RECORDS = {
        {"ok", "alpha"}, {"nojson", "beta"}, {"empty", "gamma"}, {"blank", "delta"}, {"huge", "epsilon"},
        {"badutf8", "zeta"}, {"surrogate", "eta"}, {"badverdict", "theta"},
    };

    private Path workflow(String baseUrl) throws Exception {
        StringBuilder data = new StringBuilder();
        for (String[] r : RECORDS) data.append("{\"id\": \"").append(r[0]).append("\", \"topic\": \"").append(r[1]).append("\"}\n");
        Files.writeString(dir.resolve("in.jsonl"), data);
        Path wf = dir.resolve("workflow.yaml");
        Files.writeString(wf, """
                name: malformed-answers
                models:
                  writer: {provider: openai, model: fake, base_url: "%s", retry_delay: 10ms, max_retries: 2, timeout: 20s}
                source: {path: in.jsonl, id: id}
                nodes:
                  write:
                    kind: llm
                    model: writer
                    prompt: "Write about {{ topic }}."
                  grade:
                    kind: judge
                    model: writer
                    rubric: "Grade the text on {{ topic }}: {{ write | truncate(200) }}"
                edges:
                  - write -> grade -> END
                sink: {path: out.jsonl}
                """.formatted(baseUrl));
        return wf;
    }

    @Test
    void malformedAnswersFailOrPassTheirOwnRecordOnlyAndTheRunCompletes() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            String huge = "x".repeat(HUGE - 9) + " the end.";
            server.answer("Grade the text on beta", "I would give it an eight out of ten, it reads well.")
                    .answer("That answer cannot be used", "Sorry, still no JSON from me.")
                    .answer("Write about gamma.", "")
                    .answer("Write about delta.", "   \n\t ")
                    .answer("Write about epsilon.", huge)
                    .answerBytes("Write about zeta.", bytes("caf", 0xC3, 0x28, " ", 0xFF, 0xFE, " end ", 0xE2, 0x82))
                    .answerBytes("Write about eta.", "lone \\ud800 surrogate".getBytes(StandardCharsets.US_ASCII))
                    .answerBytes("Grade the text on theta", bytes("{\\\"score\\\": 4, \\\"reason\\\": \\\"bad ", 0xFF, " byte\\\"}"));
            Path wf = workflow(server.baseUrl());
            Path db = dir.resolve("weft.db");
            RunResult r;
            try (Store store = Store.open(db)) {
                Runner runner = new Runner(new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine()), new TemplateEngine(), store);
                r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                        () -> runner.start(wf, RunOptions.defaults().withConcurrency(4), new RunMonitor()));
                assertEquals(RunStatus.COMPLETED, r.status(), r.message());

                Map<String, RecordRow> rows = new HashMap<>();
                for (RecordRow row : store.records(r.runId(), -1, 100)) rows.put(row.recordId(), row);
                assertEquals(RECORDS.length, rows.size(), "every record settled once");

                RecordRow noJson = rows.get("nojson");
                assertEquals(RecordStatus.FAILED, noJson.status());
                assertEquals("grade", noJson.node(), "the failing node is recorded");
                assertTrue(noJson.error().startsWith("node 'grade': the judge's answer could not be used after 2 attempts: "), noJson.error());
                assertTrue(noJson.error().toLowerCase().contains("json"), "says what was wrong with the answer: " + noJson.error());
                List<FakeModelServer.RecordedRequest> reAsks = server.log().stream()
                        .filter(q -> q.lastUserMessage() != null && q.lastUserMessage().contains("That answer cannot be used")).toList();
                assertEquals(1, reAsks.size(), "the judge was asked again once (retries: 1), for that record only");
                assertTrue(reAsks.get(0).body().contains("I would give it an eight out of ten"), "the re-ask shows the model its unusable answer");

                for (String id : List.of("empty", "blank")) {
                    RecordRow row = rows.get(id);
                    assertEquals(RecordStatus.FAILED, row.status(), id);
                    assertEquals("write", row.node());
                    assertTrue(row.error().startsWith("node 'write': model 'writer' returned an empty answer"), row.error());
                }
                var failures = store.reasons(r.runId(), RecordStatus.FAILED, 10);
                assertTrue(failures.stream().anyMatch(f -> f.exampleRecordId().equals("nojson") && f.node().equals("grade")),
                        "the failure is shown with its node and record: " + failures);

                assertEquals(RecordStatus.DONE, rows.get("huge").status(), String.valueOf(rows.get("huge").error()));
                assertEquals(RecordStatus.DONE, rows.get("ok").status());
            }

            Map<String, JsonNode> out = new HashMap<>();
            byte[] outBytes = Files.readAllBytes(dir.resolve("out.jsonl"));
            String outText = strictUtf8(outBytes, "the output file");
            for (String line : outText.split("\n")) {
                JsonNode n = JSON.readTree(line);
                out.put(n.get("id").asText(), n);
            }
            assertEquals(java.util.Set.of("ok", "huge", "badutf8", "surrogate", "badverdict"), out.keySet(), "written: the records that are done");
            assertEquals(huge, out.get("huge").get("write").asText(), "a 5 MB answer is kept whole");

            // Invalid UTF-8 is decoded the way every HTTP client does: each bad sequence becomes U+FFFD.
            String zeta = out.get("badutf8").get("write").asText();
            assertTrue(zeta.startsWith("caf\uFFFD(") && zeta.contains(" end "), zeta);
            assertFalse(zeta.codePoints().anyMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF), zeta);
            String eta = out.get("surrogate").get("write").asText();
            assertTrue(eta.startsWith("lone ") && eta.endsWith(" surrogate"), eta);
            assertFalse(eta.codePoints().anyMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF), "no lone surrogate reaches the output: " + eta);
            assertEquals(4, out.get("badverdict").at("/grade/score").asInt());
            assertTrue(out.get("badverdict").at("/grade/reason").asText().contains("\uFFFD"));

            // The store holds what the run saw, readable and intact.
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
                assertEquals("ok", query(c, "PRAGMA integrity_check"));
                assertEquals(String.valueOf(HUGE), query(c, "SELECT MAX(LENGTH(response)) FROM cache"));
            }
            // A second run of the same workflow is answered from the cache, byte for byte.
            long before = server.requests();
            try (Store store = Store.open(db)) {
                Runner runner = new Runner(new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine()), new TemplateEngine(), store);
                RunResult again = runner.start(wf, RunOptions.defaults().withConcurrency(4), new RunMonitor());
                assertEquals(RunStatus.COMPLETED, again.status(), again.message());
            }
            assertEquals(outText, strictUtf8(Files.readAllBytes(dir.resolve("out.jsonl")), "the replayed output"));
            // Only the failed records (no answer cached for their failing step) ask again.
            assertTrue(server.requests() - before <= 4, "cached answers were replayed: " + (server.requests() - before));
        }
    }

    static byte[] bytes(Object... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String s) b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            else b.write((Integer) p);
        }
        return b.toByteArray();
    }

    static String strictUtf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new AssertionError(what + " is not valid UTF-8: " + e);
        }
    }

    private static String query(Connection c, String sql) throws Exception {
        try (ResultSet rs = c.createStatement().executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
