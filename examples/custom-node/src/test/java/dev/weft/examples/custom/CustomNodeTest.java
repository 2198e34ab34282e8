package dev.weft.examples.custom;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.weft.workflow.Overrides;
import dev.weft.workflow.WorkflowLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs this folder's workflow through the engine, in-process: the plugin's node kind and tool are
 * found through the SPI (this project's META-INF/services is on the class path), next to the
 * built-in ones. Once with the offline simulator, once against a real HTTP server that speaks
 * OpenAI tool calling.
 */
class CustomNodeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path workflow;

    @BeforeEach
    void copyTheExample() throws Exception {
        Files.createDirectories(dir.resolve("data"));
        Files.copy(Path.of("workflow.yaml"), dir.resolve("workflow.yaml"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(Path.of("data/questions.jsonl"), dir.resolve("data/questions.jsonl"), StandardCopyOption.REPLACE_EXISTING);
        workflow = dir.resolve("workflow.yaml");
    }

    private RunResult run(RunOptions options) {
        NodeKinds kinds = NodeKinds.builtIn(); // the class path: Weft's built-ins and this plugin
        assertTrue(kinds.get("redact") != null && kinds.tools().containsKey("unit_convert"), "the plugin is registered");
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            return new Runner(new WorkflowLoader(kinds, new TemplateEngine()), new TemplateEngine(), store)
                    .start(workflow, options, new RunMonitor());
        }
    }

    private List<JsonNode> output() throws Exception {
        return Files.readAllLines(dir.resolve("out/answers.jsonl")).stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    @Test
    void runsOfflineWithTheSimulator() throws Exception {
        RunResult r = run(RunOptions.defaults().withSimulate(true));
        assertEquals(RunStatus.COMPLETED, r.status(), r.message());
        assertEquals(3, r.counters().done());
        for (JsonNode line : output()) {
            // The simulator calls the first tool once (with arguments made from its schema), then answers.
            assertEquals("unit_convert", line.at("/messages/2/tool_calls/0/function/name").asText(), line.toString());
            assertEquals("tool", line.at("/messages/3/role").asText());
            assertEquals(List.of("unit_convert", "calculator"), line.get("tools").findValues("name").stream().map(JsonNode::asText).toList());
        }
    }

    @Test
    void callsTheToolAndRedactsTheAnswerAgainstAnOpenAiCompatibleServer() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            server.toolCalls("42.195 km", "unit_convert {\"value\": 42.195, \"from\": \"km\", \"to\": \"mi\"}")
                    .answer("42.195 km", "About 26.2188 miles. -- runner@example.com, +1 555 010 0199")
                    .toolCalls("180 degrees", "unit_convert {\"value\": 180, \"from\": \"c\", \"to\": \"kg\"}",
                            "unit_convert {\"value\": 180, \"from\": \"c\", \"to\": \"f\"}")
                    .toolCalls("23 kg", "unit_convert {\"value\": 23, \"from\": \"kg\", \"to\": \"lb\"}");
            RunResult r = run(RunOptions.defaults()
                    .withOverrides(new Overrides(List.of(), List.of("solver.base_url=" + server.baseUrl())))
                    .withEnvironment(Map.of("OPENAI_API_KEY", "not-a-real-key")));
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(3, r.counters().done());

            List<JsonNode> out = output();
            JsonNode marathon = out.get(0);
            assertEquals("26.2188", marathon.at("/messages/3/content").asText(), "the plugin tool converted km to miles");
            assertEquals("About 26.2188 miles. -- [email], [phone]", marathon.get("answer").asText(), "the plugin node redacted the answer");

            JsonNode oven = out.get(1).get("messages");
            assertEquals("error: cannot convert temperature to mass; pick two units of one kind", oven.get(3).get("content").asText(),
                    "a tool's error goes back to the model, which tries again");
            assertEquals("356", oven.get(5).get("content").asText());
            assertEquals("50.7063", out.get(2).at("/messages/3/content").asText());
        }
    }
}
