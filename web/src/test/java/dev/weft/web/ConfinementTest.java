package dev.weft.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.run.RunOptions;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run started from the dashboard reads workflows, prompts and data, and writes its output, only
 * inside the served folders: `../` escapes, absolute paths elsewhere, links out and overrides
 * that point out are refused before anything is read or recorded, and never quoted back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfinementTest {
    private static final String OUTSIDE_TEXT = "TOP-SECRET-OUTSIDE-CONTENT {{ 1 +";
    Dash dash;
    Path outside;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        dash = Dash.start(dir);
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), OUTSIDE_TEXT);
        Files.copy(dash.workflow(), outside.resolve("workflow.yaml"));
        Files.createDirectories(outside.resolve("prompts"));
        Files.writeString(outside.resolve("prompts/question_system.txt"), "Outside prompt.");
        Dash.writeTopics(outside.resolve("data/topics.jsonl"), 10, null);
    }

    @AfterAll
    void tearDown() {
        dash.close();
    }

    private long runs() {
        return dash.json("/api/runs").get("total").asLong();
    }

    private void refused(Map<String, Object> body) {
        long before = runs();
        HttpResponse<String> r = dash.post("/api/runs", body);
        assertEquals(403, r.statusCode(), body + " -> " + r.body());
        assertTrue(Dash.parse(r.body()).get("error").asText().contains("outside the folders this dashboard serves"), r.body());
        assertFalse(r.body().contains("TOP-SECRET"), "the outside file's text never comes back: " + r.body());
        assertEquals(before, runs(), "nothing was recorded for " + body);
    }

    @Test
    void aWorkflowBehindDotDotIsRefused() {
        refused(Map.of("workflow", "../outside/workflow.yaml", "simulate", true));
        refused(Map.of("workflow", "qa/../../outside/workflow.yaml", "simulate", true));
    }

    @Test
    void anAbsolutePathOutsideIsRefused() {
        refused(Map.of("workflow", outside.resolve("workflow.yaml").toString(), "simulate", true));
        refused(Map.of("workflow", "/etc/passwd", "simulate", true));
    }

    @Test
    void aSourceOrSinkOutsideIsRefused() {
        String wf = dash.workflow().toString();
        refused(Map.of("workflow", wf, "simulate", true, "source", "../../outside/data/topics.jsonl"));
        refused(Map.of("workflow", wf, "simulate", true, "source", outside.resolve("data/topics.jsonl").toString()));
        refused(Map.of("workflow", wf, "simulate", true, "set", List.of("source.path=../../outside/data/topics.jsonl")));
        refused(Map.of("workflow", wf, "simulate", true, "set", List.of("sink.path=" + outside.resolve("stolen.jsonl"))));
        refused(Map.of("workflow", wf, "simulate", true, "set", List.of("sink.path=../../outside/out.jsonl")));
        assertFalse(Files.exists(outside.resolve("stolen.jsonl")));
    }

    @Test
    void aPromptFileOutsideIsRefusedWhetherAnOverrideOrTheWorkflowNamesIt() throws Exception {
        String wf = dash.workflow().toString();
        refused(Map.of("workflow", wf, "simulate", true, "set", List.of("nodes.question.prompt.system_file=../../outside/secret.txt")));
        Path sneaky = dash.folder.resolve("qa/sneaky.yaml");
        Files.writeString(sneaky, Files.readString(dash.workflow()).replace("prompts/question_system.txt", "../../outside/secret.txt"));
        refused(Map.of("workflow", sneaky.toString(), "simulate", true));
        JsonNode page = dash.json("/api/workflow?path=" + URLEncoder.encode(sneaky.toString(), StandardCharsets.UTF_8));
        assertFalse(page.toString().contains("TOP-SECRET"), page.toString());
    }

    @Test
    void aLinkThatLeadsOutIsRefused() throws Exception {
        Path link = dash.folder.resolve("elsewhere");
        Files.createSymbolicLink(link, outside);
        refused(Map.of("workflow", link.resolve("workflow.yaml").toString(), "simulate", true));
        refused(Map.of("workflow", "elsewhere/workflow.yaml", "simulate", true));
        Files.createSymbolicLink(dash.folder.resolve("qa/data/linked.jsonl"), outside.resolve("data/topics.jsonl"));
        refused(Map.of("workflow", dash.workflow().toString(), "simulate", true, "source", "data/linked.jsonl"));
    }

    @Test
    void aWorkflowOutsideIsNeverReadFromDiskButAPastRunsCopyIsShownReadOnly() throws Exception {
        Path never = outside.resolve("never-run.yaml");
        Files.writeString(never, "name: x\n# " + OUTSIDE_TEXT + "\n");
        HttpResponse<String> r = dash.get("/api/workflow?path=" + URLEncoder.encode(never.toString(), StandardCharsets.UTF_8));
        assertEquals(404, r.statusCode());
        assertFalse(r.body().contains("TOP-SECRET"));
        // a run started outside the dashboard (by `weft run`) from outside the folders
        String id = dash.runLikeCli(outside.resolve("workflow.yaml"), RunOptions.defaults().withSimulate(true)).runId();
        JsonNode page = dash.json("/api/workflow?path=" + URLEncoder.encode(outside.resolve("workflow.yaml").toString(), StandardCharsets.UTF_8));
        assertFalse(page.get("can_start").asBoolean());
        assertEquals(id, page.get("shown_from_run").asText());
        JsonNode run = dash.json("/api/runs/" + id).get("run");
        assertFalse(run.get("can_resume").asBoolean());
        HttpResponse<String> resume = dash.post("/api/runs/" + id + "/resume", Map.of());
        assertTrue(resume.statusCode() == 403 || resume.statusCode() == 409, resume.body());
    }

    @Test
    void resumingARunWhoseWorkflowLivesOutsideIsRefused() {
        // a run of the outside workflow, started by `weft run`, that did not complete: its model server is unreachable
        RunOptions unreachable = Dash.options("http://127.0.0.1:9/v1", Map.of(Dash.KEY_ENV, Dash.SECRET));
        unreachable = unreachable.withOverrides(unreachable.overrides().plus(new dev.weft.workflow.Overrides(
                List.of("models.writer.max_retries=0", "models.critic.max_retries=0"), List.of())));
        String id = dash.runLikeCli(outside.resolve("workflow.yaml"), unreachable).runId();
        JsonNode run = dash.json("/api/runs/" + id).get("run");
        assertEquals("failed", run.get("status").asText(), run.toString());
        assertFalse(run.get("can_resume").asBoolean());
        HttpResponse<String> r = dash.post("/api/runs/" + id + "/resume", Map.of());
        assertEquals(403, r.statusCode(), r.body());
        assertEquals("failed", dash.json("/api/runs/" + id).get("run").get("status").asText());
    }
}
