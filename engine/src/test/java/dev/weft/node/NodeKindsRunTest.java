package dev.weft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.run.RunMonitor;
import dev.weft.run.RunOptions;
import dev.weft.run.RunResult;
import dev.weft.run.Runner;
import dev.weft.store.RunStatus;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.FakeModelServer;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The llm (several models), judge (aspects, pairwise) and conversation kinds through whole runs against the HTTP test server. */
class NodeKindsRunTest {
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

    private String models() {
        return """
                models:
                  weak: {provider: openai, model: small, base_url: "%1$s", retry_delay: 10ms}
                  strong: {provider: openai, model: large, base_url: "%1$s", retry_delay: 10ms}
                  critic: {provider: openai, model: judge, base_url: "%1$s", temperature: 0, retry_delay: 10ms}
                """.formatted(server.baseUrl());
    }

    private List<JsonNode> run(String yaml, String out) throws Exception {
        Path wf = dir.resolve("wf.yaml");
        Files.writeString(wf, yaml);
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store)
                    .start(wf, RunOptions.defaults().withConcurrency(8), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(0, r.counters().failed(), "no record failed");
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve(out))) lines.add(JSON.readTree(l));
        return lines;
    }

    @Test
    void preferencePairsFromTwoModelsAndAPairwiseJudgeWriteValidDpoRecords() throws Exception {
        List<JsonNode> lines = run("""
                name: prefs
                %s
                source: {generate: 30}
                nodes:
                  topic:
                    kind: sample
                    attributes: {subject: [rivers, volcanoes, bridges, tides, comets]}
                  question:
                    kind: transform
                    set: {prompt: "{{ 'Explain ' ~ subject ~ ' to a child.' }}"}
                  answers:
                    kind: llm
                    models: [weak, strong]
                    prompt: "{{ prompt }}"
                  prefer:
                    kind: judge
                    mode: pairwise
                    model: critic
                    rubric: "Which response explains {{ subject }} better to a child?"
                    a: answers.weak
                    b: answers.strong
                  decided:
                    kind: filter
                    drop: "prefer.winner == 'tie'"
                    reason: the two orders disagreed
                edges:
                  - topic -> question -> answers -> prefer -> decided -> END
                sink:
                  path: out.jsonl
                  format: dpo
                  map: {prompt: prompt, chosen: prefer.chosen, rejected: prefer.rejected, winner: prefer.winner}
                """.formatted(models()), "out.jsonl");
        assertFalse(lines.isEmpty(), "some pairs are decided");
        for (JsonNode l : lines) {
            assertTrue(l.get("prompt").asText().startsWith("Explain "));
            assertFalse(l.get("chosen").asText().isEmpty());
            assertFalse(l.get("rejected").asText().isEmpty());
            assertNotEquals(l.get("chosen").asText(), l.get("rejected").asText());
            assertTrue(List.of("a", "b").contains(l.get("winner").asText()));
        }
        // Both models were asked the same prompt; the judge was asked twice per record, once per order.
        long small = server.log().stream().filter(r -> r.model().equals("small")).count();
        long large = server.log().stream().filter(r -> r.model().equals("large")).count();
        long judge = server.log().stream().filter(r -> r.model().equals("judge")).count();
        assertEquals(30, small);
        assertEquals(30, large);
        assertEquals(60, judge);
        assertTrue(server.log().stream().filter(r -> r.model().equals("judge")).allMatch(r -> r.lastUserMessage().contains("[Response A]")));
    }

    @Test
    void aspectJudgeScoresEveryAspectOnItsScale() throws Exception {
        List<JsonNode> lines = run("""
                name: aspects
                %s
                source: {generate: 5}
                nodes:
                  answer:
                    kind: llm
                    model: strong
                    prompt: "Describe a sunset."
                  rate:
                    kind: judge
                    mode: aspects
                    model: critic
                    scale: 1..5
                    aspects:
                      helpfulness: "How helpful is this description? {{ answer }}"
                      honesty: "Is anything in it untrue? {{ answer }}"
                      style: "How vivid is it? {{ answer }}"
                edges: [answer -> rate -> END]
                sink: {path: out.jsonl}
                """.formatted(models()), "out.jsonl");
        assertEquals(5, lines.size());
        for (JsonNode l : lines) {
            for (String aspect : List.of("helpfulness", "honesty", "style")) {
                int score = l.at("/rate/" + aspect + "/score").asInt(-1);
                assertTrue(score >= 1 && score <= 5, aspect + " score " + score + " in " + l);
                assertTrue(l.at("/rate/" + aspect + "/reason").isTextual());
            }
        }
    }

    @Test
    void conversationTakesTurnsPerRoleAndStopsWhenUntilHolds() throws Exception {
        server.answer("STOP-HERE", "Thank you, goodbye!");
        List<JsonNode> lines = run("""
                name: dialogue
                %s
                source: {generate: 4}
                nodes:
                  persona:
                    kind: sample
                    attributes: {who: [a nurse, a pilot, a chef]}
                  talk:
                    kind: conversation
                    turns: 6
                    roles:
                      user: {model: weak, system: "You are {{ who }} asking for travel advice.", opener: "Hi! I am {{ who }}."}
                      assistant: {model: strong, system: "You are a helpful travel agent."}
                    output: messages
                edges: [persona -> talk -> END]
                sink: {path: out.jsonl}
                """.formatted(models()), "out.jsonl");
        assertEquals(4, lines.size());
        for (JsonNode l : lines) {
            JsonNode messages = l.get("messages");
            assertEquals(6, messages.size(), "six turns: " + messages);
            for (int i = 0; i < messages.size(); i++) {
                assertEquals(i % 2 == 0 ? "user" : "assistant", messages.get(i).get("role").asText());
                assertFalse(messages.get(i).get("content").asText().isBlank());
            }
            assertTrue(messages.get(0).get("content").asText().startsWith("Hi! I am "));
        }
        // Each role saw its own lines as the assistant's: the agent's second request ends with the user's second line.
        boolean agentSawItsOwnLine = false;
        for (FakeModelServer.RecordedRequest r : server.log()) {
            if (!r.model().equals("large")) continue;
            for (JsonNode m : JSON.readTree(r.body()).get("messages")) agentSawItsOwnLine |= m.get("role").asText().equals("assistant");
        }
        assertTrue(agentSawItsOwnLine);

        // until: stop as soon as a message says goodbye
        Files.delete(dir.resolve("out.jsonl"));
        List<JsonNode> early = run("""
                name: dialogue-until
                %s
                source: {generate: 2}
                nodes:
                  talk:
                    kind: conversation
                    turns: 10
                    until: "'goodbye' in last"
                    roles:
                      user: {model: weak, system: "You are a traveller.", opener: "STOP-HERE please"}
                      assistant: {model: strong, system: "You are an agent."}
                edges: [talk -> END]
                sink: {path: out.jsonl}
                """.formatted(models()), "out.jsonl");
        for (JsonNode l : early) {
            assertEquals(2, l.get("talk").size(), "stopped after the agent said goodbye: " + l);
        }
    }

    @Test
    void qualityFunctionsWorkInFiltersAndTransforms() throws Exception {
        Path data = dir.resolve("texts.jsonl");
        Files.writeString(data, """
                {"id": "1", "text": "The cat sat on the mat. It was warm and the sun was bright."}
                {"id": "2", "text": "buy buy buy buy buy buy buy buy buy buy"}
                {"id": "3", "text": "Short."}
                """);
        List<JsonNode> lines = run("""
                name: quality
                source: {path: texts.jsonl, id: id}
                nodes:
                  measure:
                    kind: transform
                    set:
                      words: "word_count(text)"
                      chars: "char_count(text)"
                      ttr: "type_token_ratio(text)"
                      rep: "repetition_ratio(text)"
                      ease: "readability(text)"
                      has_cat: 'matches(text, "\\\\bcat\\\\b")'
                  keep_good:
                    kind: filter
                    rules:
                      - keep: "word_count(text) >= 3"
                        reason: too short
                      - drop: "repetition_ratio(text) > 0.5"
                        reason: repetitive
                edges: [measure -> keep_good -> END]
                sink: {path: out.jsonl}
                """, "out.jsonl");
        assertEquals(1, lines.size(), "only the first text passes: " + lines);
        JsonNode l = lines.get(0);
        assertEquals(14, l.get("words").asInt());
        assertEquals(59, l.get("chars").asInt());
        assertTrue(l.get("has_cat").asBoolean());
        assertEquals(0.0, l.get("rep").asDouble());
        assertTrue(l.get("ttr").asDouble() > 0.7 && l.get("ttr").asDouble() <= 1.0);
        assertTrue(l.get("ease").asDouble() > 80, "simple sentences read easily: " + l.get("ease"));
    }

    @Test
    void judgeRubricsAndRoleSystemPromptsComeFromTemplateFiles() throws Exception {
        Files.createDirectories(dir.resolve("prompts"));
        Files.writeString(dir.resolve("prompts/judge_system.txt"), "You grade haiku strictly.");
        Files.writeString(dir.resolve("prompts/rubric.j2"), "Grade this haiku about {{ season }}:{% if season == 'winter' %} (cold){% endif %} {{ poem.weak }}");
        Files.writeString(dir.resolve("prompts/pairwise.j2"), "Which haiku about {{ season }} is better?");
        Files.writeString(dir.resolve("prompts/poet.j2"), "You are a poet who loves {{ season }}.");
        List<JsonNode> lines = run("""
                name: files
                %s
                source: {generate: 2}
                nodes:
                  pick:
                    kind: sample
                    attributes: {season: [winter]}
                  poem:
                    kind: llm
                    models: [weak, strong]
                    prompt: "Write a haiku about {{ season }}."
                  grade:
                    kind: judge
                    model: critic
                    system_file: prompts/judge_system.txt
                    rubric_file: prompts/rubric.j2
                    output: {score: integer 1..5}
                  prefer:
                    kind: judge
                    mode: pairwise
                    model: critic
                    rubric_file: prompts/pairwise.j2
                    a: poem.weak
                    b: poem.strong
                  chat:
                    kind: conversation
                    turns: 3
                    roles:
                      user: {model: weak, system_file: prompts/poet.j2, opener: "Hello."}
                      assistant: {model: strong, system: "You answer poets."}
                edges: [pick -> poem -> grade -> prefer -> chat -> END]
                sink: {path: out.jsonl}
                """.formatted(models()), "out.jsonl");
        assertEquals(2, lines.size());
        for (JsonNode l : lines) {
            int score = l.at("/grade/score").asInt(-1);
            assertTrue(score >= 1 && score <= 5, "the verdict follows the output shape: " + l);
        }
        List<FakeModelServer.RecordedRequest> judged = server.log().stream().filter(r -> r.model().equals("judge")).toList();
        assertEquals(2 + 4, judged.size(), "one score verdict and two pairwise verdicts per record");
        assertTrue(judged.stream().anyMatch(r -> r.lastUserMessage().startsWith("Grade this haiku about winter: (cold) ")),
                "the rubric file was rendered as a template");
        assertTrue(judged.stream().filter(r -> r.lastUserMessage().startsWith("Grade")).allMatch(r -> r.body().contains("You grade haiku strictly.")),
                "the judge's system message came from its file");
        assertTrue(judged.stream().filter(r -> r.lastUserMessage().contains("[Response A]")).allMatch(r -> r.lastUserMessage()
                .startsWith("Which haiku about winter is better?")), "the pairwise rubric came from its file");
        assertEquals(2, server.log().stream().filter(r -> r.model().equals("small") && r.body().contains("You are a poet who loves winter."))
                .count(), "the role's system prompt came from its file (its second turn, once per record)");
    }
}
