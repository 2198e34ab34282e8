package dev.weft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every command as a user types it, in process, against a real store file. */
class CliCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path QUICKSTART = Path.of("..", "examples", "quickstart", "workflow.yaml");

    @TempDir
    Path dir;

    private String db() {
        return dir.resolve("weft.db").toString();
    }

    @Test
    void quickstartRunsOfflineAndWritesSftRecords() throws Exception {
        Path out = dir.resolve("qa.jsonl");
        Cli.Result r = Cli.run("run", QUICKSTART.toString(), "--simulate", "--db", db(), "-q", "--set", "sink.path=" + out);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("SIMULATED"), "a simulated run says so: " + r.out());
        assertTrue(r.out().contains("status    completed"), r.out());
        List<String> lines = Files.readAllLines(out);
        assertEquals(20, lines.size());
        for (String l : lines) {
            JsonNode rec = JSON.readTree(l);
            assertEquals("user", rec.at("/messages/0/role").asText());
            assertEquals("assistant", rec.at("/messages/1/role").asText());
            int score = rec.get("score").asInt();
            assertTrue(score >= 1 && score <= 10);
        }
        // Same inputs, same bytes; and the second time everything comes from the cache.
        byte[] first = Files.readAllBytes(out);
        Cli.Result again = Cli.run("run", QUICKSTART.toString(), "--simulate", "--db", db(), "-q", "--set", "sink.path=" + out);
        assertEquals(0, again.exit());
        assertTrue(again.out().contains("model calls 0"), again.out());
        assertEquals(new String(first), Files.readString(out));
    }

    @Test
    void validateReportsEveryProblemWithItsPlaceAndExitsTwo() throws Exception {
        Path wf = dir.resolve("bad.yaml");
        Files.writeString(wf, """
                name: bad
                source: {generate: 3}
                nodes:
                  ask:
                    kind: llm
                    model: writer
                    promt: "Hello {{ topic }}"
                edges:
                  - ask -> ENDD
                """);
        Cli.Result r = Cli.run("validate", wf.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains(wf + ":6:12: node 'ask': unknown model profile 'writer'; declare it under `models:`"), r.err());
        assertTrue(r.err().contains(wf + ":7:5: unknown key 'promt' in node 'ask'; did you mean 'prompt'?"), r.err());
        assertTrue(r.err().contains(wf + ":9:5: unknown node 'ENDD' in edge; did you mean 'END'?"), r.err());
        assertFalse(r.err().contains("Exception"), "no stack trace: " + r.err());

        Cli.Result ok = Cli.run("validate", QUICKSTART.toString());
        assertEquals(0, ok.exit(), ok.toString());
        assertTrue(ok.out().contains("ok (qa-with-judge"), ok.out());

        Cli.Result missing = Cli.run("validate", dir.resolve("nope.yaml").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("workflow file not found"), missing.err());

        Cli.Result runBad = Cli.run("run", wf.toString(), "--db", db());
        assertEquals(2, runBad.exit(), "run refuses an invalid workflow before anything runs");
    }

    @Test
    void runsShowExportAndResumeWorkOnAStoredRun() throws Exception {
        Path out = dir.resolve("qa.jsonl");
        assertEquals(0, Cli.run("run", QUICKSTART.toString(), "--simulate", "--db", db(), "-q", "--limit", "5", "--set", "sink.path=" + out).exit());
        Cli.Result runs = Cli.run("runs", "--db", db());
        assertEquals(0, runs.exit());
        String line = runs.out().strip().split("\n")[0];
        String id = line.split("\\s+")[0];
        assertTrue(id.matches("\\d{8}-\\d{6}-[0-9a-f]{4}"), "the run id comes first: " + line);
        assertTrue(line.contains("qa-with-judge") && line.contains("completed"), line);

        Cli.Result show = Cli.run("show", id.substring(0, 17), "--db", db());
        assertEquals(0, show.exit(), show.toString());
        for (String s : List.of("records   5 done", "question", "grade", "judge", "cache hits", "tokens")) assertTrue(show.out().contains(s), show.out());

        Path sft = dir.resolve("export-sft.jsonl");
        Cli.Result export = Cli.run("export", id, "--format", "sft", "--out", sft.toString(), "--db", db());
        assertEquals(0, export.exit(), export.toString());
        assertEquals(Files.readString(out), Files.readString(sft), "export in the sink's format equals the run's output");

        Path raw = dir.resolve("export-raw.jsonl");
        assertEquals(0, Cli.run("export", id, "--format", "raw", "--out", raw.toString(), "--db", db(), "--map", "q=question", "--map", "s=grade.score").exit());
        JsonNode first = JSON.readTree(Files.readAllLines(raw).get(0));
        assertTrue(first.has("q") && first.get("s").isInt(), first.toString());

        Cli.Result dpo = Cli.run("export", id, "--format", "dpo", "--out", dir.resolve("x.jsonl").toString(), "--db", db());
        assertEquals(2, dpo.exit());
        assertTrue(dpo.err().contains("prompt, chosen, rejected"), dpo.err());

        // The chat formats from the same stored run: an oasst tree per record; multi-turn leaves out what does not fit, and says why.
        Path trees = dir.resolve("export-oasst.jsonl");
        Cli.Result oasst = Cli.run("export", id, "--format", "oasst", "--out", trees.toString(), "--db", db(),
                "--map", "prompt=question", "--map", "response=answer", "--map", "lang='en'");
        assertEquals(0, oasst.exit(), oasst.toString());
        List<String> treeLines = Files.readAllLines(trees);
        assertEquals(5, treeLines.size());
        JsonNode tree = JSON.readTree(treeLines.get(0));
        assertEquals("prompter", tree.at("/prompt/role").asText());
        assertEquals("assistant", tree.at("/prompt/replies/0/role").asText());
        assertEquals(tree.at("/prompt/message_id"), tree.at("/prompt/replies/0/parent_id"));
        Cli.Result chat = Cli.run("export", id, "--format", "multi-turn", "--out", dir.resolve("chat.jsonl").toString(), "--db", db(),
                "--map", "messages=[{'role': 'user', 'content': question}]");
        assertEquals(0, chat.exit(), chat.toString());
        assertTrue(chat.out().contains("wrote 0 records"), chat.out());
        assertTrue(chat.err().contains("5 records were left out because they do not fit the format; the first: record "), chat.err());
        assertTrue(chat.err().contains("sink format multi-turn: `messages` holds no assistant turn"), chat.err());
        Cli.Result badMap = Cli.run("export", id, "--format", "oasst", "--out", dir.resolve("y.jsonl").toString(), "--db", db(), "--map", "prompt=question");
        assertEquals(2, badMap.exit());
        assertTrue(badMap.err().contains("oasst needs the prompt's replies"), badMap.err());

        Cli.Result resume = Cli.run("resume", id, "--db", db());
        assertEquals(0, resume.exit());
        assertTrue(resume.out().contains("already completed"), resume.out());

        Cli.Result unknown = Cli.run("show", "nope", "--db", db());
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("no run 'nope'"), unknown.err());
    }

    @Test
    void aDatasetCardIsWrittenBesideTheOutputAndShowQualityReportsTheRun() throws Exception {
        Path out = dir.resolve("data").resolve("qa.jsonl");
        Cli.Result r = Cli.run("run", QUICKSTART.toString(), "--simulate", "--db", db(), "-q", "--set", "sink.path=" + out);
        assertEquals(0, r.exit(), r.toString());
        String card = Files.readString(dir.resolve("data").resolve("README.md"));
        assertTrue(card.startsWith("---\npretty_name: \"qa-with-judge\"\nsize_categories:\n- n<1K\n"), card);
        assertTrue(card.contains("data_files: \"qa.jsonl\""), card);
        assertTrue(card.contains("| `qa.jsonl` | 20 | `messages`, `score`, `topic` |"), card);
        assertTrue(card.contains("> **Simulated.**"), card);
        assertTrue(card.contains("| `writer` | simulated | `gpt-4o-mini` | 0.8 |"), card);
        assertTrue(card.contains("SHA-256 of the workflow and its prompt files"), card);
        assertTrue(card.contains("`grade.score`: mean"), card);
        assertTrue(card.contains("\nlanguage:\n- en\n"), "the simulator writes English-looking prose: " + card);
        assertTrue(card.contains("| `long_enough` | filter | 20 | 0 |"), card);
        assertFalse(card.contains("127.0.0.1"), "where models are served is not the dataset's business");

        String id = Cli.run("runs", "--db", db()).out().strip().split("\\s+")[0];
        Cli.Result q = Cli.run("show", id, "--quality", "--db", db());
        assertEquals(0, q.exit(), q.toString());
        assertTrue(q.out().contains("grade.score"), q.out());
        assertTrue(q.out().contains("distinct-2"), q.out());
        assertTrue(q.out().contains("dedup rate 0.0%"), q.out());
        assertTrue(q.out().contains("languages (of the first 1,000 texts of each field)"), q.out());
        Cli.Result qj = Cli.run("show", id, "--quality", "--json", "--db", db());
        JsonNode report = JSON.readTree(qj.out());
        assertEquals(20, report.at("/records/done").asInt());
        long graded = 0;
        for (JsonNode c : report.at("/scores/grade.score/distribution")) graded += c.asLong();
        assertEquals(report.at("/scores/grade.score/count").asLong(), graded);
        assertEquals(20, graded, "one final grade per record");
        double d1 = report.at("/texts/answer/distinct_1").asDouble();
        assertTrue(d1 > 0 && d1 <= 1, report.toString());
        assertTrue(report.at("/texts/question/words/p50").asInt() > 0);
        assertEquals(20, report.at("/texts/answer/language_sample").asInt());
        assertTrue(report.at("/texts/answer/languages").has("en"), report.at("/texts/answer").toString());
        assertEquals(0.0, report.at("/records/dedup_rate").asDouble());
        assertEquals(20, report.at("/dropped_at/long_enough/reached").asInt());
        assertEquals(2, Cli.run("show", id, "--json", "--db", db()).exit(), "--json needs --quality");
    }

    @Test
    void schemaIsJsonSchemaOfTheLanguage() throws Exception {
        Cli.Result r = Cli.run("schema");
        assertEquals(0, r.exit());
        JsonNode s = JSON.readTree(r.out());
        assertEquals("https://json-schema.org/draft/2020-12/schema", s.get("$schema").asText());
        assertTrue(s.at("/properties/nodes/additionalProperties/oneOf").size() >= 5);
        assertTrue(s.at("/properties/models/additionalProperties/properties/base_url").isObject());
    }

    @Test
    void everyCommandHasHelp() {
        for (String c : List.of("validate", "run", "resume", "runs", "show", "export", "schema")) {
            Cli.Result r = Cli.run(c, "--help");
            assertEquals(0, r.exit(), c);
            assertTrue(r.out().contains("Usage: weft " + c), r.out());
        }
        Cli.Result bad = Cli.run("run", "--concurency", "3", "x.yaml");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("--concurrency"), "suggests the near option: " + bad.err());
    }
}
