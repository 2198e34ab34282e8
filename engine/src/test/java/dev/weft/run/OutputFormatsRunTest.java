package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat output formats through whole runs against the fake OpenAI server: a persona dialogue
 * as {@code multi-turn}, an agent's trajectory as {@code tool-call}, a preference pair as
 * {@code oasst} and as {@code dpo}; and a record that does not fit its format failing alone, with
 * the reason, while the run goes on.
 */
class OutputFormatsRunTest {
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

    private String models() {
        return """
                models:
                  writer: {provider: openai, model: writer, base_url: "%1$s", retry_delay: 10ms}
                  weak: {provider: openai, model: small, base_url: "%1$s", retry_delay: 10ms}
                  strong: {provider: openai, model: large, base_url: "%1$s", retry_delay: 10ms}
                  critic: {provider: openai, model: judge, base_url: "%1$s", temperature: 0, retry_delay: 10ms}
                """.formatted(server.baseUrl());
    }

    private RunResult run(Store store, String file, String yaml) throws Exception {
        Path wf = dir.resolve(file);
        Files.writeString(wf, yaml);
        TemplateEngine templates = new TemplateEngine();
        RunResult r = new Runner(new WorkflowLoader(NodeKinds.builtIn(), templates), templates, store)
                .start(wf, RunOptions.defaults().withConcurrency(8), new RunMonitor());
        assertEquals(RunStatus.COMPLETED, r.status(), r.message());
        return r;
    }

    private List<JsonNode> lines(String file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve(file))) out.add(JSON.readTree(l));
        return out;
    }

    private String dialogue(int turns) throws Exception {
        Files.writeString(dir.resolve("personas.jsonl"), """
                {"id": "p1", "persona": "a nurse on night shifts"}
                {"id": "p2", "persona": "a retired sailor"}
                {"id": "p3", "persona": "a first-year student"}
                {"id": "p4", "persona": "a beekeeper"}
                """);
        return """
                name: dialogues
                %s
                source: {path: personas.jsonl, id: id}
                nodes:
                  dialogue:
                    kind: conversation
                    turns: %d
                    roles:
                      user: {model: writer, system: "You are {{ persona }}, planning a trip.", opener: "Hi, I am {{ persona }} and need a trip."}
                      assistant: {model: writer, system: You are a patient travel agent.}
                edges:
                  - dialogue -> END
                sink:
                  path: dialogues.jsonl
                  format: multi-turn
                  map: {messages: dialogue, system: "'You are a patient travel agent.'", persona: persona, last: "dialogue[-1].role"}
                """.formatted(models(), turns);
    }

    @Test
    void aPersonaDialogueIsWrittenAsMultiTurnChat() throws Exception {
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, "dialogues.yaml", dialogue(4));
            assertEquals(0, r.counters().failed());
        }
        List<JsonNode> lines = lines("dialogues.jsonl");
        assertEquals(4, lines.size());
        for (JsonNode l : lines) {
            JsonNode m = l.get("messages");
            assertEquals(5, m.size(), l.toString());
            assertEquals("system", m.get(0).get("role").asText());
            assertEquals("You are a patient travel agent.", m.get(0).get("content").asText());
            for (int i = 1; i < 5; i++) {
                assertEquals(i % 2 == 1 ? "user" : "assistant", m.get(i).get("role").asText());
                assertFalse(m.get(i).get("content").asText().isBlank());
                assertEquals(2, m.get(i).size(), "only role and content: " + m.get(i));
            }
            assertEquals("Hi, I am " + l.get("persona").asText() + " and need a trip.", m.get(1).get("content").asText(), "the opener");
            assertEquals("assistant", l.get("last").asText(), "extra keys are kept");
        }
    }

    @Test
    void aDialogueThatEndsOnTheUserFailsItsRecordWithTheReasonAndKeepsItsFields() throws Exception {
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, "dialogues.yaml", dialogue(3));
            assertEquals(4, r.counters().failed(), "every record fails, the run completes");
            assertEquals(0, r.outputLines());
            for (RecordRow row : store.records(r.runId(), -1, 10)) {
                assertEquals(RecordStatus.FAILED, row.status());
                assertEquals("sink format multi-turn: the last message is the user's; a multi-turn sample ends with the assistant's answer"
                        + " (give a conversation node an even number of `turns`)", row.error());
                assertEquals(3, JSON.readTree(row.stateJson()).get("dialogue").size(), "the conversation is kept to look at");
            }
            assertEquals(4, store.reasons(r.runId(), RecordStatus.FAILED, 5).get(0).count());
        }
        assertEquals("", Files.readString(dir.resolve("dialogues.jsonl")));
    }

    @Test
    void anAgentsTrajectoryIsWrittenAsToolCallDataWithItsToolCalls() throws Exception {
        Files.writeString(dir.resolve("tasks.jsonl"), """
                {"id": "a", "question": "What is 6 times 7?"}
                {"id": "b", "question": "What is the capital of Atlantis?"}
                """);
        server.toolCalls("Task a:", "calculator {\"a\": 6, \"op\": \"multiply\", \"b\": 7}")
                .toolCalls("Task b:", "atlas {\"place\": \"Atlantis\"}")
                .answer("Task a:", "6 times 7 is 42.");
        RunResult r;
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            r = run(store, "agent.yaml", """
                    name: tool-use
                    %s
                    source: {path: tasks.jsonl, id: id}
                    nodes:
                      solve:
                        kind: agent
                        model: writer
                        prompt:
                          system: Answer with the help of your tools.
                          user: "Task {{ id }}: {{ question }}"
                        tools: [calculator]
                        max_steps: 4
                    edges:
                      - solve -> END
                    sink:
                      path: tools.jsonl
                      format: tool-call
                      map: {messages: solve.messages, tools: solve.tools}
                    """.formatted(models()));
            assertEquals(1, r.counters().done());
            // b's model called a tool that does not exist: its trajectory is no training data.
            RecordRow b = store.records(r.runId(), -1, 10).stream().filter(x -> x.recordId().equals("b")).findFirst().orElseThrow();
            assertEquals(RecordStatus.FAILED, b.status());
            assertEquals("sink format tool-call: `messages[2]`.tool_calls[0] calls 'atlas', which `tools` does not offer (it offers 'calculator')",
                    b.error());
            RecordRow a = store.records(r.runId(), -1, 10).stream().filter(x -> x.recordId().equals("a")).findFirst().orElseThrow();
            JsonNode line = lines("tools.jsonl").get(0);
            // The agent's output maps straight onto the format: the same messages and tools, byte for byte.
            JsonNode state = JSON.readTree(a.stateJson()).get("solve");
            assertEquals(state.get("messages"), line.get("messages"));
            assertEquals(state.get("tools"), line.get("tools"));
        }
        JsonNode line = lines("tools.jsonl").get(0);
        JsonNode m = line.get("messages");
        assertEquals(List.of("system", "user", "assistant", "tool", "assistant"), roles(m));
        JsonNode call = m.get(2).get("tool_calls").get(0);
        assertEquals("function", call.get("type").asText());
        assertEquals("calculator", call.at("/function/name").asText());
        assertEquals(JSON.readTree("{\"a\": 6, \"op\": \"multiply\", \"b\": 7}"), JSON.readTree(call.at("/function/arguments").asText()),
                "arguments are JSON text");
        assertEquals(call.get("id").asText(), m.get(3).get("tool_call_id").asText());
        assertEquals("42", m.get(3).get("content").asText());
        assertEquals("6 times 7 is 42.", m.get(4).get("content").asText());
        assertEquals("calculator", line.at("/tools/0/function/name").asText());
        assertTrue(line.at("/tools/0/function/parameters").isObject());
    }

    private static List<String> roles(JsonNode messages) {
        List<String> out = new ArrayList<>();
        messages.forEach(x -> out.add(x.get("role").asText()));
        return out;
    }

    private String preferences(String sink) {
        return """
                name: prefs
                %s
                source: {generate: 12}
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
                %s
                """.formatted(models(), sink.indent(2).stripTrailing());
    }

    @Test
    void aPreferencePairIsWrittenAsAnOasstTreeAndAsDpoAlike() throws Exception {
        String map = "{prompt: prompt, chosen: prefer.chosen, rejected: prefer.rejected, winner: prefer.winner, lang: \"'en'\"}";
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            run(store, "oasst.yaml", preferences("path: trees.jsonl\nformat: oasst\nmap: " + map));
            run(store, "dpo.yaml", preferences("path: pairs.jsonl\nformat: dpo\nmap: " + map));
            run(store, "answers.yaml", preferences("path: answers.jsonl\nformat: oasst\nmap: {prompt: prompt, answers: answers}"));
        }
        List<JsonNode> trees = lines("trees.jsonl");
        List<JsonNode> pairs = lines("pairs.jsonl");
        assertFalse(trees.isEmpty(), "some pairs are decided");
        assertEquals(pairs.size(), trees.size(), "the same records");
        for (int i = 0; i < trees.size(); i++) {
            JsonNode tree = trees.get(i);
            JsonNode pair = pairs.get(i);
            JsonNode root = tree.get("prompt");
            assertEquals(root.get("message_id"), tree.get("message_tree_id"));
            assertEquals("ready_for_export", tree.get("tree_state").asText());
            assertEquals("prompter", root.get("role").asText());
            assertEquals(pair.get("prompt").asText(), root.get("text").asText());
            assertTrue(root.get("parent_id").isNull());
            assertEquals("en", root.get("lang").asText(), "as the map says");
            JsonNode replies = root.get("replies");
            assertEquals(2, replies.size());
            assertEquals(pair.get("chosen").asText(), replies.get(0).get("text").asText());
            assertEquals(0, replies.get(0).get("rank").asInt());
            assertEquals(pair.get("rejected").asText(), replies.get(1).get("text").asText());
            assertEquals(1, replies.get(1).get("rank").asInt());
            for (JsonNode reply : replies) {
                assertEquals("assistant", reply.get("role").asText());
                assertEquals(root.get("message_id"), reply.get("parent_id"));
                assertEquals(0, reply.get("replies").size());
                assertNotNull(UUID.fromString(reply.get("message_id").asText()));
            }
            assertEquals(pair.get("winner"), tree.get("winner"), "extra keys go beside the tree");
        }
        for (JsonNode tree : lines("answers.jsonl")) {
            JsonNode replies = tree.at("/prompt/replies");
            assertEquals("weak", replies.get(0).get("model_name").asText());
            assertEquals("strong", replies.get(1).get("model_name").asText());
            assertNull(replies.get(0).get("rank"), "no preference given, no rank");
            assertTrue(tree.at("/prompt/lang").asText().matches("[a-z]{2}|und"), "detected: " + tree);
        }
        // A second run writes the same bytes: message ids follow from the records, not from chance.
        String first = Files.readString(dir.resolve("trees.jsonl"));
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            run(store, "oasst.yaml", preferences("path: trees.jsonl\nformat: oasst\nmap: " + map));
        }
        assertEquals(first, Files.readString(dir.resolve("trees.jsonl")));
    }
}
