package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.Tool;
import dev.weft.store.CacheEntry;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunStatus;
import dev.weft.store.StepRow;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.testkit.FakeModelServer;
import dev.weft.testkit.PluginJar;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.WorkflowLoader;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code agent} kind through whole runs against the fake OpenAI server, with tools from a real
 * plugin jar built here (a {@link Tool} and a langchain4j {@code @Tool} method) next to the
 * built-in ones: the trajectory reaches the output in OpenAI tool-call format and the step cache;
 * a replay and a resume make no model call they need not make and write the same bytes; tool
 * errors go back to the model; max_steps fails the record; another workflow serves as a tool.
 */
class AgentRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static NodeKinds plugins;

    @TempDir
    static Path pluginDir;

    @TempDir
    Path dir;

    private FakeModelServer server;

    @BeforeAll
    static void buildPlugin() throws Exception {
        Path jar = new PluginJar()
                .source("example.tools.WordCountTool", """
                        package example.tools;

                        import com.fasterxml.jackson.databind.JsonNode;
                        import com.fasterxml.jackson.databind.ObjectMapper;
                        import dev.weft.spi.Tool;
                        import dev.weft.spi.ToolContext;

                        public final class WordCountTool implements Tool {
                            private static final JsonNode PARAMETERS;
                            static {
                                try {
                                    PARAMETERS = new ObjectMapper().readTree(
                                        "{\\"type\\":\\"object\\",\\"properties\\":{\\"text\\":{\\"type\\":\\"string\\"}},\\"required\\":[\\"text\\"]}");
                                } catch (Exception e) {
                                    throw new ExceptionInInitializerError(e);
                                }
                            }
                            public String name() { return "word_count"; }
                            public String description() { return "Counts the words of a text."; }
                            public JsonNode parameters() { return PARAMETERS; }
                            public String call(JsonNode arguments, ToolContext context) {
                                String t = arguments.get("text").asText().trim();
                                return Integer.toString(t.isEmpty() ? 0 : t.split("\\\\s+").length);
                            }
                        }
                        """)
                .source("example.tools.TextTools", """
                        package example.tools;

                        import dev.langchain4j.agent.tool.P;
                        import dev.langchain4j.agent.tool.Tool;
                        import dev.weft.spi.ToolSet;

                        public final class TextTools implements ToolSet {
                            @Tool("Reverses a text, letter by letter.")
                            public String reverse(@P("The text to reverse.") String text) {
                                return new StringBuilder(text).reverse().toString();
                            }
                        }
                        """)
                .resource("META-INF/services/dev.weft.spi.Tool", "example.tools.WordCountTool\n")
                .resource("META-INF/services/dev.weft.spi.ToolSet", "example.tools.TextTools\n")
                .classpathOf(Tool.class, JsonNode.class, com.fasterxml.jackson.core.TreeNode.class,
                        com.fasterxml.jackson.annotation.JsonIgnore.class, dev.langchain4j.agent.tool.Tool.class)
                .build(pluginDir.resolve("text-tools.jar"));
        plugins = NodeKinds.load(new URLClassLoader(new URL[] {jar.toUri().toURL()}, AgentRunTest.class.getClassLoader()));
    }

    @BeforeEach
    void start() {
        server = FakeModelServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Path workflow(Path folder, String extra) throws Exception {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("in.jsonl"), """
                {"id": "a", "text": "one two three"}
                {"id": "b", "text": "four five"}
                {"id": "c", "text": "six"}
                """);
        Path wf = folder.resolve("workflow.yaml");
        Files.writeString(wf, """
                name: agent-plugin
                models:
                  solver: {provider: openai, model: fake, base_url: "%s", retry_delay: 10ms, max_retries: 0, timeout: 20s}
                source: {path: in.jsonl, id: id}
                nodes:
                  solve:
                    kind: agent
                    model: solver
                    prompt:
                      system: You solve tasks with tools.
                      user: "Task {{ id }}: count the words of '{{ text }}', then double the count."
                    tools: [word_count, calculator, reverse]
                    max_steps: 4
                    output: solution
                %s
                edges:
                  - solve -> END
                sink: {path: out.jsonl, map: {messages: solution.messages, tools: solution.tools, answer: solution.answer}}
                """.formatted(server.baseUrl(), extra));
        return wf;
    }

    private void script() {
        server.toolCalls("Task a:", "word_count {\"text\": \"one two three\"}", "calculator {\"a\": 3, \"op\": \"multiply\", \"b\": 2}")
                .toolCalls("Task b:", "word_count {\"text\": \"four five\"}", "calculator {\"a\": 2, \"op\": \"multiply\", \"b\": 2}")
                .toolCalls("Task c:", "word_count {\"text\": \"six\"}\nreverse {\"text\": \"six\"}", "calculator {\"a\": 1, \"op\": \"multiply\", \"b\": 2}");
    }

    private static RunResult run(Store store, Path wf, RunOptions options) {
        Runner runner = new Runner(new WorkflowLoader(plugins, new TemplateEngine()), new TemplateEngine(), store);
        return runner.start(wf, options, new RunMonitor());
    }

    private static Map<String, RecordRow> records(Store store, String runId) {
        Map<String, RecordRow> rows = new HashMap<>();
        for (RecordRow row : store.records(runId, -1, 100)) rows.put(row.recordId(), row);
        return rows;
    }

    @Test
    void anAgentCallsPluginToolsAndItsToolCallsReachTheOutputAndTheStepTrace() throws Exception {
        script();
        Path wf = workflow(dir, "");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults().withConcurrency(3));
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(3, r.counters().done(), records(store, r.runId()).toString());

            List<String> lines = Files.readAllLines(dir.resolve("out.jsonl"));
            assertEquals(3, lines.size());
            JsonNode a = JSON.readTree(lines.get(0));
            JsonNode m = a.get("messages");
            assertEquals(7, m.size(), m.toPrettyString()); // system, user, call, result, call, result, answer
            assertEquals("system", m.get(0).get("role").asText());
            assertEquals("user", m.get(1).get("role").asText());
            JsonNode call = m.get(2).get("tool_calls").get(0);
            assertTrue(m.get(2).get("content").isNull(), "an assistant turn that only calls tools has null content");
            assertEquals("function", call.get("type").asText());
            assertEquals("word_count", call.at("/function/name").asText());
            assertEquals("{\"text\": \"one two three\"}", call.at("/function/arguments").asText());
            assertEquals("tool", m.get(3).get("role").asText());
            assertEquals(call.get("id").asText(), m.get(3).get("tool_call_id").asText());
            assertEquals("3", m.get(3).get("content").asText(), "the plugin tool's answer");
            assertEquals("calculator", m.get(4).at("/tool_calls/0/function/name").asText());
            assertEquals("6", m.get(5).get("content").asText(), "the built-in calculator's answer");
            assertEquals("assistant", m.get(6).get("role").asText());
            assertTrue(m.get(6).get("content").asText().startsWith("Done with the tools; the last result was: 6"), m.get(6).toString());
            assertEquals(m.get(6).get("content").asText(), a.get("answer").asText());
            assertEquals(List.of("word_count", "calculator", "reverse"),
                    a.get("tools").findValues("name").stream().map(JsonNode::asText).toList());
            assertEquals("object", a.at("/tools/2/function/parameters/type").asText(), "the @Tool method's schema, from langchain4j");

            // Two calls in one turn (record c): both run, both answered, in order.
            JsonNode c = JSON.readTree(lines.get(2)).get("messages");
            assertEquals(2, c.get(2).get("tool_calls").size());
            assertEquals("1", c.get(3).get("content").asText());
            assertEquals("xis", c.get(4).get("content").asText(), "the @Tool method reversed the text");

            // What went over the wire: the tools offered, and the results sent back.
            List<FakeModelServer.RecordedRequest> forA = server.log().stream()
                    .filter(q -> q.lastUserMessage() != null && q.lastUserMessage().startsWith("Task a:")).toList();
            assertEquals(3, forA.size());
            JsonNode first = JSON.readTree(forA.get(0).body());
            assertEquals(3, first.get("tools").size());
            assertEquals("word_count", first.at("/tools/0/function/name").asText());
            JsonNode last = JSON.readTree(forA.get(2).body());
            assertEquals("tool", last.at("/messages/5/role").asText());
            assertEquals("6", last.at("/messages/5/content").asText());

            // The step trace: three cached model calls; the last request holds the whole trajectory.
            store.flush();
            List<StepRow> steps = store.steps(r.runId(), 0);
            assertEquals(1, steps.size());
            assertEquals(3, steps.get(0).calls());
            assertEquals(3, steps.get(0).cacheKeys().size());
            CacheEntry lastCall = store.cacheGet(steps.get(0).cacheKeys().get(2)).orElseThrow();
            JsonNode request = JSON.readTree(lastCall.requestJson());
            assertEquals("word_count", request.at("/messages/2/tool_calls/0/name").asText());
            assertEquals("3", request.at("/messages/3/content").asText());
            assertEquals("tool", request.at("/messages/3/role").asText());
            assertEquals(3, request.get("tools").size());
            CacheEntry firstCall = store.cacheGet(steps.get(0).cacheKeys().get(0)).orElseThrow();
            assertEquals("word_count", JSON.readTree(firstCall.responseText()).at("/tool_calls/0/name").asText(),
                    "the cached answer keeps the tool calls");
        }
    }

    @Test
    void aReplayMakesNoModelCallAndWritesTheSameBytes() throws Exception {
        script();
        Path wf = workflow(dir, "");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult first = run(store, wf, RunOptions.defaults());
            assertEquals(3, first.counters().done());
            byte[] output = Files.readAllBytes(dir.resolve("out.jsonl"));
            assertEquals(9, server.requests());

            server.resetCounters();
            server.clearAnswers(); // a model that would now answer differently is never asked
            RunResult replay = run(store, wf, RunOptions.defaults().withCacheMode(CacheMode.ONLY));
            assertEquals(RunStatus.COMPLETED, replay.status(), replay.message());
            assertEquals(3, replay.counters().done(), records(store, replay.runId()).toString());
            assertEquals(0, server.requests(), "--cache-only: no model call");
            assertEquals(0, replay.counters().calls());
            assertEquals(new String(output), Files.readString(dir.resolve("out.jsonl")));

            RunResult again = run(store, wf, RunOptions.defaults());
            assertEquals(0, server.requests(), "a second run reads every step from the cache");
            assertEquals(9, again.counters().cacheHits());
            assertEquals(new String(output), Files.readString(dir.resolve("out.jsonl")));
        }
    }

    @Test
    void aRecordThatFailedMidTrajectoryResumesFromItsLastStoredCallAndEndsAsAnUninterruptedRun() throws Exception {
        // The reference: an uninterrupted run in its own store.
        script();
        Path clean = workflow(dir.resolve("clean"), "");
        try (Store store = Store.open(dir.resolve("clean/weft.db"))) {
            run(store, clean, RunOptions.defaults().withLimit(1L));
        }
        String expected = Files.readString(dir.resolve("clean/out.jsonl"));
        server.resetCounters();

        // One record: its first call is answered, its second gets a 500 (and max_retries is 0).
        // The fake server draws one number per request from its seeded generator: pick the seed.
        long seed = 0;
        while (true) {
            SplittableRandom r = new SplittableRandom(seed);
            if (r.nextDouble() >= 0.5 && r.nextDouble() < 0.5) break;
            seed++;
        }
        server.seed(seed).rate500(0.5);
        Path wf = workflow(dir.resolve("resumed"), "");
        try (Store store = Store.open(dir.resolve("resumed/weft.db"))) {
            RunResult broken = run(store, wf, RunOptions.defaults().withLimit(1L));
            assertEquals(1, broken.counters().failed());
            RecordRow failed = records(store, broken.runId()).get("a");
            assertTrue(failed.error().startsWith("node 'solve': "), failed.error());
            assertEquals(2, server.requests());

            server.rate500(0).resetCounters();
            Runner runner = new Runner(new WorkflowLoader(plugins, new TemplateEngine()), new TemplateEngine(), store);
            RunResult resumed = runner.resume(broken.runId(), Overrides.NONE, null, Map.of(), new RunMonitor());
            assertEquals(RunStatus.COMPLETED, resumed.status(), resumed.message());
            assertEquals(1, resumed.counters().done());
            assertEquals(2, server.requests(), "the first call and its tool result come from the cache; calls 2 and 3 are made");
            assertEquals(expected, Files.readString(dir.resolve("resumed/out.jsonl")), "the same bytes as an uninterrupted run");
        }
    }

    @Test
    void toolErrorsGoBackToTheModelAndMaxStepsFailsTheRecordClearly() throws Exception {
        server.toolCalls("Task a:",
                        "calculator {\"a\": 1, \"op\": \"divide\", \"b\": 0}\nnope {}\nword_count {not json\ncalculator {\"a\": \"x\", \"op\": \"add\"}")
                .toolCalls("Task b:", "word_count {\"text\": \"a\"}", "word_count {\"text\": \"b\"}", "word_count {\"text\": \"c\"}",
                        "word_count {\"text\": \"d\"}", "word_count {\"text\": \"e\"}")
                .toolCalls("Task c:");
        Path wf = workflow(dir, "");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            Map<String, RecordRow> rows = records(store, r.runId());

            RecordRow a = rows.get("a");
            assertEquals(RecordStatus.DONE, a.status(), a.error());
            JsonNode m = JSON.readTree(a.stateJson()).at("/solution/messages");
            assertEquals("error: division by zero; b must not be 0", m.get(3).get("content").asText());
            assertEquals("error: there is no tool named 'nope'; the tools are: word_count, calculator, reverse", m.get(4).get("content").asText());
            assertTrue(m.get(5).get("content").asText().startsWith("error: the arguments are not valid JSON"), m.get(5).toString());
            String invalid = m.get(6).get("content").asText();
            assertTrue(invalid.startsWith("error: invalid arguments: ") && invalid.contains("b") && invalid.contains("number"), invalid);
            assertEquals(8, m.size(), "four results, then the answer");

            RecordRow b = rows.get("b");
            assertEquals(RecordStatus.FAILED, b.status());
            assertEquals("node 'solve': the agent did not finish within max_steps: 4 (model calls); its last answer still called"
                    + " word_count; raise `max_steps` or make the task need fewer tool calls", b.error());
            assertEquals(4, server.log().stream().filter(q -> q.lastUserMessage().startsWith("Task b:")).count());

            RecordRow c = rows.get("c");
            assertEquals(RecordStatus.DONE, c.status(), "a model may answer without calling a tool");
            assertEquals(1, JSON.readTree(c.stateJson()).at("/solution/steps").asInt());
        }
    }

    @Test
    void anotherWorkflowServesAsATool() throws Exception {
        Path folder = dir.resolve("wf");
        Files.createDirectories(folder.resolve("tools"));
        Files.writeString(folder.resolve("tools/define.yaml"), """
                name: define
                models:
                  writer: {provider: openai, model: fake-writer, base_url: "%s", retry_delay: 10ms}
                source: {generate: 1}
                nodes:
                  define:
                    kind: llm
                    model: writer
                    prompt: "Define the word {{ word }} in one sentence."
                    output: definition
                edges:
                  - define -> END
                """.formatted(server.baseUrl()));
        Path wf = workflow(folder, "").resolveSibling("workflow.yaml");
        Files.writeString(wf, Files.readString(wf).replace("tools: [word_count, calculator, reverse]", """
                tools:
                      - {workflow: tools/define.yaml, name: define, description: Defines a word., input: {word: The word to define.}, output: definition}
                      - {tool: lookup, name: capitals, description: Capital cities by country., file: capitals.json}"""));
        Files.writeString(folder.resolve("capitals.json"), "{\"France\": \"Paris\", \"Peru\": \"Lima\"}");
        server.toolCalls("Task a:", "define {\"word\": \"three\"}\ncapitals {\"key\": \" france \"}")
                .toolCalls("Task b:", "define {}")
                .toolCalls("Task c:", "capitals {\"key\": \"Spain\"}")
                .answer("Define the word three", "Three is one more than two.");
        try (Store store = Store.open(folder.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults());
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            Map<String, RecordRow> rows = records(store, r.runId());
            JsonNode a = JSON.readTree(rows.get("a").stateJson()).at("/solution/messages");
            assertEquals("Three is one more than two.", a.get(3).get("content").asText(), "the workflow's output field");
            assertEquals("Paris", a.get(4).get("content").asText(), "lookup ignores case and spaces");
            assertTrue(server.log().stream().anyMatch(q -> "fake-writer".equals(q.model())), "the tool workflow's own model profile");
            JsonNode b = JSON.readTree(rows.get("b").stateJson()).at("/solution/messages");
            assertTrue(b.get(3).get("content").asText().startsWith("error: invalid arguments: "), b.get(3).toString());
            JsonNode c = JSON.readTree(rows.get("c").stateJson()).at("/solution/messages");
            assertEquals("error: no entry for 'Spain'; keys are: France, Peru", c.get(3).get("content").asText());
            long calls = server.requests();
            assertEquals(7, calls, "3 agent calls... a: 2 + define 1, b: 2, c: 2");

            // Replay: the agent's calls and the tool workflow's results all come from the cache.
            server.resetCounters();
            byte[] output = Files.readAllBytes(folder.resolve("out.jsonl"));
            RunResult replay = run(store, wf, RunOptions.defaults().withCacheMode(CacheMode.ONLY));
            assertEquals(3, replay.counters().done(), records(store, replay.runId()).toString());
            assertEquals(0, server.requests());
            assertEquals(new String(output), Files.readString(folder.resolve("out.jsonl")));
            // The run keeps the tool workflow and the lookup table in its bundle.
            String bundle = store.run(r.runId()).orElseThrow().bundle();
            assertTrue(bundle.contains("define.yaml") && bundle.contains("capitals.json"), bundle);

            // Edit the tool workflow's prompt and the table: their results are not served from the cache.
            Path define = folder.resolve("tools/define.yaml");
            Files.writeString(define, Files.readString(define).replace("in one sentence", "in five words"));
            Files.writeString(folder.resolve("capitals.json"), "{\"France\": \"Paris (Île-de-France)\", \"Peru\": \"Lima\"}");
            server.answer("Define the word three", "One more than two, three."); // replaces the reply
            RunResult edited = run(store, wf, RunOptions.defaults());
            assertEquals(3, edited.counters().done(), records(store, edited.runId()).toString());
            JsonNode a2 = JSON.readTree(records(store, edited.runId()).get("a").stateJson()).at("/solution/messages");
            assertEquals("One more than two, three.", a2.get(3).get("content").asText());
            assertEquals("Paris (Île-de-France)", a2.get(4).get("content").asText());
            assertEquals(2, server.requests(), "the unchanged first calls are hits; define runs its model again, and a's next call is new");
        }
    }

    @Test
    void theSimulatorCallsTheFirstToolOnceThenAnswersTheSameWayEveryTime() throws Exception {
        Path wf = workflow(dir, "");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults().withSimulate(true));
            assertEquals(3, r.counters().done(), records(store, r.runId()).toString());
            assertTrue(r.simulated());
            String out = Files.readString(dir.resolve("out.jsonl"));
            JsonNode m = JSON.readTree(out.lines().findFirst().orElseThrow()).get("messages");
            assertEquals(5, m.size(), m.toPrettyString());
            assertEquals("word_count", m.get(2).at("/tool_calls/0/function/name").asText());
            assertNotNull(JSON.readTree(m.get(2).at("/tool_calls/0/function/arguments").asText()).get("text"));
            assertFalse(m.get(4).get("content").asText().isBlank());

            Files.delete(dir.resolve("out.jsonl"));
            try (Store other = Store.open(dir.resolve("other.db"))) {
                run(other, wf, RunOptions.defaults().withSimulate(true));
            }
            assertEquals(out, Files.readString(dir.resolve("out.jsonl")), "the simulator is deterministic");
            assertEquals(0, server.requests());
        }
    }

    @Test
    void anOllamaModelCallsToolsToo() throws Exception {
        script();
        Path wf = workflow(dir, "");
        Files.writeString(wf, Files.readString(wf).replace("{provider: openai, model: fake, base_url: \"" + server.baseUrl() + "\"",
                "{provider: ollama, model: fake, base_url: \"" + server.ollamaBaseUrl() + "\""));
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, wf, RunOptions.defaults());
            assertEquals(3, r.counters().done(), records(store, r.runId()).toString());
            JsonNode m = JSON.readTree(Files.readAllLines(dir.resolve("out.jsonl")).get(0)).get("messages");
            assertEquals("word_count", m.get(2).at("/tool_calls/0/function/name").asText(), m.toString());
            assertEquals(m.get(2).at("/tool_calls/0/id").asText(), m.get(3).get("tool_call_id").asText());
            assertEquals("3", m.get(3).get("content").asText());
            assertEquals("6", m.get(5).get("content").asText());
            assertTrue(server.log().stream().allMatch(q -> q.status() == 200), "the server took every request");
        }
    }
}
