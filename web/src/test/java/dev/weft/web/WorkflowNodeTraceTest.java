package dev.weft.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.run.RunOptions;
import dev.weft.run.RunResult;
import dev.weft.store.RunStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run with a {@code workflow} node and an {@code llm} node with {@code schema:} on the dashboard:
 * the graph, the per-node figures and a record's trace stay right — the workflow node's step shows
 * every call its child workflow made, and the structured answer shows its schema — and a judge
 * whose verdict holds lists and nested objects has score distributions for its scalar fields only.
 */
class WorkflowNodeTraceTest {
    @Test
    void theTraceShowsTheChildWorkflowsCallsUnderTheWorkflowNode(@TempDir Path dir) throws Exception {
        try (Dash dash = Dash.start(dir)) {
            Path folder = Files.createDirectories(dash.folder.resolve("nested/sub"));
            Files.writeString(folder.resolve("refine.yaml"), """
                    name: refine
                    models:
                      critic: {provider: simulated, model: sim-critic}
                    source: {generate: 1}
                    nodes:
                      improve: {kind: llm, model: critic, prompt: "Improve: {{ draft }}", output: answer}
                      grade: {kind: judge, model: critic, rubric: "Rate: {{ answer }}"}
                    edges:
                      - improve -> grade -> END
                    """);
            Path wf = dash.folder.resolve("nested/workflow.yaml");
            Files.writeString(wf, """
                    name: dash-workflow-node
                    models:
                      writer: {provider: simulated, model: sim}
                    source: {generate: 3}
                    nodes:
                      gen:
                        kind: llm
                        model: writer
                        prompt: Write questions about tides.
                        schema: {questions: "[string] 2..3"}
                      polish:
                        kind: workflow
                        workflow: sub/refine.yaml
                        input: {draft: "gen.questions[0]"}
                        output: {answer: answer, score: grade.score}
                      check:
                        kind: judge
                        model: writer
                        rubric: "Check: {{ answer }}"
                        output: {score: integer 1..5, issues: "[string] 0..3", meta: {ok: boolean}, pairs: [{a: string}]}
                    edges:
                      - gen -> polish -> check -> END
                    sink: {path: out/polished.jsonl}
                    """);
            RunResult r = dash.runLikeCli(wf, RunOptions.defaults().withSimulate(true));
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(3, r.counters().done());
            String run = r.runId();

            Set<String> drawn = new HashSet<>();
            dash.json("/api/runs/" + run + "/graph").get("nodes").forEach(n -> drawn.add(n.get("id").asText()));
            assertEquals(Set.of("START", "gen", "polish", "check", "END"), drawn);

            Map<String, JsonNode> nodes = new HashMap<>();
            dash.json("/api/runs/" + run + "/nodes").forEach(n -> nodes.put(n.get("node").asText(), n));
            assertEquals("workflow", nodes.get("polish").get("kind").asText());
            assertEquals(3, nodes.get("polish").get("visits").asLong());
            assertEquals(6, nodes.get("polish").get("calls").asLong(), "improve and grade for each record");
            assertEquals(3, nodes.get("gen").get("calls").asLong());

            JsonNode trace = dash.json("/api/runs/" + run + "/records/0");
            JsonNode steps = trace.get("steps");
            assertEquals(List.of("gen", "polish"), List.of(steps.get(0).get("node").asText(), steps.get(1).get("node").asText()));
            JsonNode gen = steps.get(0).get("exchanges").get(0);
            assertEquals("array", gen.at("/answer_schema/properties/questions/type").asText(), gen.toString());
            assertTrue(gen.get("response").asText().contains("\"questions\""), gen.toString());
            JsonNode polish = steps.get(1);
            assertEquals("model call", polish.get("source").asText());
            JsonNode exchanges = polish.get("exchanges");
            assertEquals(2, exchanges.size(), polish.toString());
            for (JsonNode x : exchanges) assertFalse(x.has("missing"), x.toString());
            String question = trace.at("/record/state/gen/questions/0").asText();
            assertTrue(exchanges.get(0).get("messages").toString().contains("Improve: " + question), exchanges.get(0).toString());
            assertEquals("sim-critic", exchanges.get(1).get("model").asText());
            assertTrue(exchanges.get(1).has("answer_schema"), "the child's judge call, with its schema");
            assertTrue(polish.get("writes").has("answer") && polish.get("writes").has("score"), polish.toString());
            assertEquals("check", polish.at("/next/to").asText());

            // Score distributions: a judge's lists and nested objects have none; its score has.
            List<String> fields = new java.util.ArrayList<>();
            dash.json("/api/runs/" + run + "/scores").get("fields").forEach(f -> fields.add(f.get("field").asText()));
            assertEquals(List.of("check.score"), fields);

            assertEquals(200, dash.get("/runs/" + run + "/records/0").statusCode());
        }
    }
}
