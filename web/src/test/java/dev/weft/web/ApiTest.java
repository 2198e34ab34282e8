package dev.weft.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.testkit.FakeModelServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JSON API against a running server and a real store: runs started beside it (as `weft run`
 * does) and from it, figures, graph, scores, records and traces, live events, actions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiTest {
    Dash dash;
    FakeModelServer fake;
    FakeModelServer slow;
    String finished;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        fake = FakeModelServer.start();
        slow = FakeModelServer.start().latency(60);
        dash = Dash.start(dir);
        finished = dash.runLikeCli(dash.workflow(), Dash.options(fake.baseUrl(), Map.of(Dash.KEY_ENV, Dash.SECRET))).runId();
    }

    @AfterAll
    void tearDown() {
        dash.close();
        fake.close();
        slow.close();
    }

    private JsonNode state(String id) {
        return dash.json("/api/runs/" + id);
    }

    @Test
    void runsStartedBesideTheDashboardAreListedWithTheirFiguresAndFilters() {
        JsonNode list = dash.json("/api/runs");
        JsonNode run = null;
        for (JsonNode r : list.get("runs")) if (r.get("id").asText().equals(finished)) run = r;
        assertNotNull(run, list.toString());
        assertEquals("dash-qa", run.get("workflow").asText());
        assertEquals("completed", run.get("status").asText());
        assertEquals(30, run.get("total").asLong());
        assertEquals(30, run.get("finished").asLong());
        assertEquals(run.get("done").asLong() + run.get("failed").asLong() + run.get("filtered").asLong(), 30);
        assertTrue(run.get("tokens_in").asLong() > 0 && run.get("cost").asDouble() > 0, run.toString());
        assertTrue(run.get("duration_ms").asLong() >= 0);
        assertEquals("qa/workflow.yaml", run.get("workflow_display").asText());
        assertTrue(list.get("workflows").toString().contains("dash-qa"));
        assertEquals(0, dash.json("/api/runs?workflow=nope").get("runs").size());
        assertEquals(0, dash.json("/api/runs?status=failed&workflow=dash-qa").get("total").asLong());
        assertTrue(dash.json("/api/runs?status=completed").get("total").asLong() >= 1);
    }

    @Test
    void nodeFiguresHaveVisitsCallsAndP95Latency() {
        JsonNode nodes = state(finished).get("nodes");
        Map<String, JsonNode> by = new LinkedHashMap<>();
        nodes.forEach(n -> by.put(n.get("node").asText(), n));
        assertEquals(Set.of("question", "answer", "grade", "refine", "long_enough"), by.keySet().stream().filter(k -> !k.isEmpty())
                .collect(java.util.stream.Collectors.toSet()));
        assertEquals(30, by.get("question").get("visits").asLong());
        assertEquals(30, by.get("question").get("calls").asLong());
        assertTrue(by.get("grade").get("visits").asLong() >= 30);
        assertEquals(0, by.get("long_enough").get("calls").asLong());
        for (JsonNode n : nodes) {
            assertTrue(n.get("p95_ms").asLong() <= n.get("max_ms").asLong(), n.toString());
            assertTrue(n.get("mean_ms").asDouble() <= n.get("max_ms").asLong() + 0.001, n.toString());
            assertFalse(n.has("in_flight"), "a run this server does not run has no in-flight counts: " + n);
        }
    }

    @Test
    void graphShowsNodesEdgesConditionsAndLoopBounds() {
        JsonNode g = dash.json("/api/runs/" + finished + "/graph");
        Set<String> names = new HashSet<>();
        g.get("nodes").forEach(n -> names.add(n.get("id").asText()));
        assertEquals(Set.of("START", "question", "answer", "grade", "refine", "long_enough", "END"), names);
        JsonNode loop = null;
        JsonNode otherwise = null;
        JsonNode back = null;
        for (JsonNode e : g.get("edges")) {
            if (e.get("from").asText().equals("grade") && e.get("to").asText().equals("refine")) loop = e;
            if (e.get("from").asText().equals("grade") && e.get("to").asText().equals("long_enough")) otherwise = e;
            if (e.get("from").asText().equals("refine") && e.get("to").asText().equals("grade")) back = e;
            assertTrue(e.get("points").size() >= 2, e.toString());
        }
        assertEquals("grade.score < 7", loop.get("when").asText());
        assertEquals(2, loop.get("max").asInt());
        assertTrue(otherwise.get("otherwise").asBoolean());
        assertTrue(back.get("back").asBoolean(), "the edge that closes the loop is drawn going back up: " + back);
        // every node inside the drawing, none overlapping another
        List<double[]> boxes = new ArrayList<>();
        for (JsonNode n : g.get("nodes")) {
            double[] b = {n.get("x").asDouble(), n.get("y").asDouble(), n.get("w").asDouble(), n.get("h").asDouble()};
            assertTrue(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= g.get("width").asDouble() && b[1] + b[3] <= g.get("height").asDouble(), n.toString());
            for (double[] o : boxes) {
                assertFalse(b[0] < o[0] + o[2] && o[0] < b[0] + b[2] && b[1] < o[1] + o[3] && o[1] < b[1] + b[3], "overlap: " + n);
            }
            boxes.add(b);
        }
    }

    @Test
    void scoreDistributionCountsEveryJudgedRecord() {
        JsonNode f = dash.json("/api/runs/" + finished + "/scores").get("fields").get(0);
        assertEquals("grade.score", f.get("field").asText());
        assertEquals("integer 1..10", f.get("type").asText());
        assertEquals(10, f.get("values").size(), "every value of the range has a bar: " + f);
        long sum = 0;
        for (JsonNode v : f.get("values")) sum += v.get("count").asLong();
        JsonNode run = state(finished).get("run");
        assertEquals(run.get("done").asLong() + run.get("filtered").asLong(), sum, f.toString());
        assertEquals(sum, f.get("count").asLong());
        assertTrue(f.get("mean").asDouble() >= 1 && f.get("mean").asDouble() <= 10);
    }

    @Test
    void progressBucketsAddUpToTheSettledRecords() {
        JsonNode p = dash.json("/api/runs/" + finished + "/progress");
        long sum = 0;
        for (JsonNode b : p.get("buckets")) sum += b.get("done").asLong() + b.get("failed").asLong() + b.get("filtered").asLong();
        assertEquals(30, sum);
        assertEquals(30, p.get("total").asLong());
    }

    @Test
    void recordsArePagedInSourceOrderAndFilteredByStatusNodeTextAndId() {
        List<Long> seen = new ArrayList<>();
        long after = -1;
        for (int guard = 0; guard < 20; guard++) {
            JsonNode page = dash.json("/api/runs/" + finished + "/records?limit=7&after=" + after);
            page.get("records").forEach(r -> seen.add(r.get("seq").asLong()));
            if (!page.has("next")) break;
            after = page.get("next").asLong();
        }
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 30; i++) expected.add(i);
        assertEquals(expected, seen);

        JsonNode refined = dash.json("/api/runs/" + finished + "/records?node=refine&limit=200");
        long refinedVisits = 0;
        for (JsonNode r : refined.get("records")) {
            JsonNode trace = dash.json("/api/runs/" + finished + "/records/" + r.get("seq").asLong());
            boolean reached = false;
            for (JsonNode s : trace.get("steps")) reached |= s.get("node").asText().equals("refine");
            assertTrue(reached, "record " + r + " is listed as reaching refine");
            refinedVisits++;
        }
        JsonNode all = dash.json("/api/runs/" + finished + "/records?limit=200");
        long reachedCount = 0;
        for (JsonNode r : all.get("records")) {
            for (JsonNode s : dash.json("/api/runs/" + finished + "/records/" + r.get("seq").asLong()).get("steps")) {
                if (s.get("node").asText().equals("refine")) {
                    reachedCount++;
                    break;
                }
            }
        }
        assertEquals(reachedCount, refinedVisits, "the node filter finds exactly the records that reached the node");

        JsonNode text = dash.json("/api/runs/" + finished + "/records?q=glaciers&limit=200");
        assertTrue(text.get("records").size() >= 3, text.toString());
        for (JsonNode r : text.get("records")) {
            assertTrue(dash.json("/api/runs/" + finished + "/records/" + r.get("seq").asLong()).get("record").get("state").toString().contains("glaciers"));
        }
        JsonNode byId = dash.json("/api/runs/" + finished + "/records?id=t007");
        assertEquals(1, byId.get("records").size());
        assertEquals(7, byId.get("records").get(0).get("seq").asLong());
        for (String s : List.of("done", "filtered", "failed")) {
            for (JsonNode r : dash.json("/api/runs/" + finished + "/records?limit=200&status=" + s).get("records")) {
                assertEquals(s, r.get("status").asText());
            }
        }
        assertEquals(400, dash.get("/api/runs/" + finished + "/records?status=bogus").statusCode());
        assertEquals(0, dash.json("/api/runs/" + finished + "/records?q=" + "no%25such_text").get("records").size());
    }

    @Test
    void aRecordsTraceHasPromptsResponsesVerdictsCacheUseTokensAndTheEdgesTaken() {
        JsonNode t = dash.json("/api/runs/" + finished + "/records/0");
        assertEquals("t000", t.get("record").get("id").asText());
        JsonNode steps = t.get("steps");
        JsonNode q = steps.get(0);
        assertEquals("question", q.get("node").asText());
        assertEquals("model call", q.get("source").asText());
        JsonNode ex = q.get("exchanges").get(0);
        assertFalse(ex.get("cached").asBoolean());
        assertEquals("system", ex.get("messages").get(0).get("role").asText());
        assertTrue(ex.get("messages").get(0).get("content").asText().contains("hard exam question"));
        assertEquals("user", ex.get("messages").get(1).get("role").asText());
        assertTrue(ex.get("messages").get(1).get("content").asText().startsWith("Topic: "));
        assertFalse(ex.get("response").asText().isEmpty());
        assertEquals("fake-writer", ex.get("model").asText());
        assertTrue(q.get("tokens_in").asLong() > 0 && q.get("duration_ms").asLong() >= 0);
        assertEquals("answer", q.get("next").get("to").asText());
        boolean sawGrade = false;
        for (JsonNode s : steps) {
            if (!s.get("node").asText().equals("grade")) continue;
            sawGrade = true;
            JsonNode verdict = s.get("exchanges").get(0).get("verdict");
            assertTrue(verdict.get("score").isInt(), s.toString());
            JsonNode next = s.get("next");
            if (next.get("to").asText().equals("refine")) assertEquals("grade.score < 7", next.get("when").asText());
            else assertTrue(next.get("otherwise").asBoolean(), next.toString());
        }
        assertTrue(sawGrade);
        JsonNode last = steps.get(steps.size() - 1).get("next");
        assertTrue(last.has("to") && last.get("to").asText().equals("END") || last.has("dropped"), last.toString());
        assertTrue(t.get("totals").get("tokens").asLong() > 0);
        assertEquals(1, t.get("next").asLong());
        assertFalse(t.has("previous"));
        assertEquals(404, dash.get("/api/runs/" + finished + "/records/9999").statusCode());
    }

    @Test
    void aSecondRunOfTheSameInputsShowsCacheHitsInItsTraces() {
        String again = dash.runLikeCli(dash.workflow(), Dash.options(fake.baseUrl(), Map.of(Dash.KEY_ENV, Dash.SECRET))).runId();
        JsonNode t = dash.json("/api/runs/" + again + "/records/3");
        JsonNode q = t.get("steps").get(0);
        assertEquals("cache hit", q.get("source").asText());
        assertTrue(q.get("exchanges").get(0).get("cached").asBoolean());
        assertTrue(state(again).get("run").get("cache_hits").asLong() >= 30);
    }

    @Test
    void aRunStartedFromTheApiWithSimulateCompletesAndExports() throws Exception {
        String id = dash.startRun(Map.of("workflow", dash.workflow().toString(), "simulate", true, "limit", 5));
        JsonNode s = dash.awaitEnded(id, 60);
        JsonNode run = s.get("run");
        assertEquals("completed", run.get("status").asText());
        assertTrue(run.get("simulated").asBoolean());
        assertEquals(5, run.get("finished").asLong());
        assertEquals(5, run.get("options").get("limit").asLong());
        HttpResponse<String> export = dash.post("/api/runs/" + id + "/export", Map.of("format", "sft"));
        assertEquals(200, export.statusCode(), export.body());
        assertTrue(export.headers().firstValue("Content-Disposition").orElse("").contains(id + "-sft.jsonl"));
        List<String> lines = export.body().lines().toList();
        assertEquals(run.get("done").asLong(), lines.size());
        for (String l : lines) assertTrue(Dash.parse(l).get("messages").isArray(), l);
        assertEquals(400, dash.post("/api/runs/" + id + "/export", Map.of("format", "csv")).statusCode());
        // a relative path is taken inside the first served folder
        String rel = dash.startRun(Map.of("workflow", "qa/workflow.yaml", "simulate", true, "limit", 2));
        assertEquals("completed", dash.awaitEnded(rel, 60).get("run").get("status").asText());
    }

    @Test
    void overridesAndSourceFromTheFormApply() throws Exception {
        Dash.writeTopics(dash.folder.resolve("qa/data/other.jsonl"), 4, null);
        String id = dash.startRun(Map.of("workflow", dash.workflow().toString(), "simulate", true, "source", "data/other.jsonl",
                "set", "nodes.answer.prompt=Answer in one line: {{ question }}", "concurrency", 2, "cache", "refresh"));
        JsonNode run = dash.awaitEnded(id, 60).get("run");
        assertEquals(4, run.get("finished").asLong());
        assertEquals("REFRESH", run.get("options").get("cache_mode").asText());
        JsonNode answer = dash.json("/api/runs/" + id + "/records/0").get("steps").get(1);
        assertTrue(answer.get("exchanges").get(0).get("messages").get(0).get("content").asText().startsWith("Answer in one line: "), answer.toString());
        assertEquals(400, dash.post("/api/runs", Map.of("workflow", dash.workflow().toString(), "cache", "sometimes")).statusCode());
        assertEquals(400, dash.post("/api/runs", Map.of("workflow", dash.workflow().toString(), "limit", -3)).statusCode());
    }

    @Test
    void liveEventsGiveASnapshotThenChangesThenAnEndAndAReloadShowsTheSameState() throws Exception {
        Path wf = dash.workflow();
        Dash.writeTopics(dash.folder.resolve("qa/data/live.jsonl"), 30, null, "live ");
        String id = dash.startRun(Map.of("workflow", wf.toString(), "concurrency", 2, "source", "data/live.jsonl",
                "model", List.of("writer.base_url=" + slow.baseUrl(), "critic.base_url=" + slow.baseUrl())));
        List<String[]> events = events("/api/runs/" + id + "/events", 120);
        assertEquals("snapshot", events.get(0)[0]);
        assertEquals("end", events.get(events.size() - 1)[0]);
        long updates = events.stream().filter(e -> e[0].equals("update")).count();
        assertTrue(updates >= 2, "changes while the run ran: " + updates);
        JsonNode first = Dash.parse(events.get(0)[1]);
        assertFalse(first.get("run").get("ended").asBoolean());
        boolean sawInFlight = false;
        long lastFinished = -1;
        for (String[] e : events) {
            if (e[0].equals("end")) break;
            JsonNode s = Dash.parse(e[1]);
            assertTrue(s.get("run").get("finished").asLong() >= lastFinished, "counts never go back");
            lastFinished = s.get("run").get("finished").asLong();
            for (JsonNode n : s.get("nodes")) sawInFlight |= n.path("in_flight").asInt() > 0;
        }
        assertTrue(sawInFlight, "a run this server runs shows records in flight at its nodes");
        assertEquals("completed", Dash.parse(events.get(events.size() - 1)[1]).get("status").asText());
        JsonNode lastUpdate = Dash.parse(events.get(events.size() - 2)[1]);
        assertTrue(lastUpdate.get("run").get("ended").asBoolean());
        // a page loaded now (or reloaded) gets the same state the stream ended with
        assertEquals(lastUpdate, state(id));
        List<String[]> again = events("/api/runs/" + id + "/events", 10);
        assertEquals(2, again.size(), "a finished run: a snapshot and the end");
        assertEquals(lastUpdate, Dash.parse(again.get(0)[1]));
    }

    @Test
    void theRunsListStreamsToo() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(dash.base() + "/api/events/runs?limit=5")).header("Accept", "text/event-stream").build();
        HttpResponse<Stream<String>> res = dash.http.send(req, HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> lines = res.body()) {
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> lines.filter(l -> l.startsWith("data:")).findFirst().orElse(""));
            JsonNode snap = Dash.parse(first.get(10, TimeUnit.SECONDS).substring(5).trim());
            assertTrue(snap.get("runs").size() >= 1 && snap.get("runs").size() <= 5);
        }
    }

    @Test
    void cancelStopsARunAndResumeFinishesItWithoutRedoingFinishedSteps() throws Exception {
        Dash.writeTopics(dash.folder.resolve("qa/data/cancel.jsonl"), 30, null, "cancel ");
        String id = dash.startRun(Map.of("workflow", dash.workflow().toString(), "concurrency", 1, "source", "data/cancel.jsonl",
                "model", List.of("writer.base_url=" + slow.baseUrl(), "critic.base_url=" + slow.baseUrl())));
        dash.awaitRun(id, s -> s.get("run").get("finished").asLong() >= 3, 60);
        assertTrue(state(id).get("run").get("can_cancel").asBoolean());
        HttpResponse<String> cancel = dash.post("/api/runs/" + id + "/cancel", Map.of());
        assertEquals(202, cancel.statusCode(), cancel.body());
        JsonNode stopped = dash.awaitEnded(id, 60).get("run");
        assertEquals("interrupted", stopped.get("status").asText());
        assertTrue(stopped.get("finished").asLong() < 30);
        assertTrue(stopped.get("can_resume").asBoolean());
        assertEquals(409, dash.post("/api/runs/" + id + "/cancel", Map.of()).statusCode());
        long callsBefore = stopped.get("calls").asLong();

        HttpResponse<String> resume = dash.post("/api/runs/" + id + "/resume", Map.of());
        assertEquals(202, resume.statusCode(), resume.body());
        assertEquals(409, dash.post("/api/runs/" + id + "/resume", Map.of()).statusCode(), "already running here");
        JsonNode done = dash.awaitEnded(id, 120).get("run");
        assertEquals("completed", done.get("status").asText());
        assertEquals(30, done.get("finished").asLong());
        assertTrue(done.get("calls").asLong() > callsBefore);
        assertEquals(409, dash.post("/api/runs/" + id + "/resume", Map.of()).statusCode(), "completed runs are not resumed");
        // no finished call was paid twice: each record's question went to the model once
        Map<String, Long> asked = new java.util.HashMap<>();
        for (var r : slow.log()) {
            String u = String.valueOf(r.lastUserMessage());
            if (u.startsWith("Topic: cancel ")) asked.merge(u, 1L, Long::sum);
        }
        assertEquals(30, asked.size());
        asked.forEach((topic, n) -> assertEquals(1L, n, topic + " was asked " + n + " times"));
    }

    @Test
    void aRunNotRunningHereCannotBeCancelledHere() {
        HttpResponse<String> r = dash.post("/api/runs/" + finished + "/cancel", Map.of());
        assertEquals(409, r.statusCode());
        assertTrue(Dash.parse(r.body()).get("error").asText().contains("not running"), r.body());
    }

    @Test
    void anInvalidWorkflowIsRefusedWithItsProblemsAtTheirLines() throws Exception {
        Path bad = dash.folder.resolve("qa/bad.yaml");
        String text = Files.readString(dash.workflow()).replace("refine -> grade", "refine -> grdae");
        Files.writeString(bad, text);
        long before = dash.json("/api/runs").get("total").asLong();
        HttpResponse<String> r = dash.post("/api/runs", Map.of("workflow", bad.toString(), "simulate", true));
        assertEquals(422, r.statusCode(), r.body());
        JsonNode p = Dash.parse(r.body()).get("problems").get(0);
        assertTrue(p.get("message").asText().contains("grdae"), p.toString());
        int line = p.get("line").asInt();
        assertTrue(text.lines().toList().get(line - 1).contains("grdae"), "the problem is at the line that has it: " + p);
        assertEquals(before, dash.json("/api/runs").get("total").asLong(), "nothing was recorded");

        JsonNode page = dash.json("/api/workflow?path=" + java.net.URLEncoder.encode(bad.toString(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(line, page.get("problems").get(0).get("line").asInt());
        assertTrue(page.get("text").asText().contains("grdae"));
        assertTrue(page.get("graph").get("nodes").size() > 0, "a workflow with errors still has a picture");
    }

    @Test
    void workflowsAreListedAndShownWithTheirRuns() {
        JsonNode list = dash.json("/api/workflows");
        JsonNode qa = null;
        for (JsonNode w : list.get("workflows")) if (w.get("display").asText().equals("qa/workflow.yaml")) qa = w;
        assertNotNull(qa, list.toString());
        assertEquals("dash-qa", qa.get("name").asText());
        assertTrue(qa.get("in_folder").asBoolean());
        assertTrue(qa.get("runs").asLong() >= 1);
        JsonNode page = dash.json("/api/workflow?path=" + java.net.URLEncoder.encode(qa.get("path").asText(), java.nio.charset.StandardCharsets.UTF_8));
        assertTrue(page.get("can_start").asBoolean());
        assertEquals(0, page.get("problems").size(), page.get("problems").toString());
        assertTrue(page.get("text").asText().startsWith("# The dashboard tests' workflow"));
        assertTrue(page.get("runs").size() >= 1);
        assertEquals(2, page.get("models").size());
        assertEquals("qa/data/topics.jsonl", page.get("source").get("path").asText());
    }

    @Test
    void judgeAspectsAndPairwiseVerdictsHaveDistributionsAndTextsAreMeasured() throws Exception {
        Files.writeString(dash.folder.resolve("modes.yaml"), """
                name: modes
                models:
                  weak: {provider: simulated, model: w}
                  strong: {provider: simulated, model: s}
                  critic: {provider: simulated, model: c}
                source: {generate: 12}
                nodes:
                  ask: {kind: transform, set: {question: "'Why is the sky blue?'"}}
                  answers: {kind: llm, models: [weak, strong], prompt: "{{ question }}"}
                  rate:
                    kind: judge
                    mode: aspects
                    model: critic
                    scale: 1..5
                    aspects: {helpfulness: "Is it helpful? {{ answers.weak }}", honesty: "Is it honest? {{ answers.weak }}"}
                  prefer: {kind: judge, mode: pairwise, model: critic, rubric: "Which answers {{ question }} better?", a: answers.weak, b: answers.strong}
                edges:
                  - ask -> answers -> rate -> prefer -> END
                """);
        String id = dash.startRun(Map.of("workflow", "modes.yaml"));
        JsonNode run = dash.awaitEnded(id, 60).get("run");
        assertEquals("completed", run.get("status").asText(), run.toString());
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        dash.json("/api/runs/" + id + "/scores").get("fields").forEach(f -> fields.put(f.get("field").asText(), f));
        assertEquals(Set.of("rate.helpfulness.score", "rate.honesty.score", "prefer.winner"), fields.keySet());
        JsonNode help = fields.get("rate.helpfulness.score");
        assertEquals(5, help.get("values").size(), "a bar for each of 1..5: " + help);
        assertEquals(run.get("done").asLong(), help.get("count").asLong());
        long winners = 0;
        for (JsonNode v : fields.get("prefer.winner").get("values")) winners += v.get("count").asLong();
        assertEquals(12, winners);
        JsonNode graph = dash.json("/api/runs/" + id + "/graph");
        for (JsonNode n : graph.get("nodes")) if (n.get("id").asText().equals("answers")) assertEquals("weak, strong", n.get("model").asText());

        JsonNode quality = dash.json("/api/runs/" + id + "/quality");
        assertTrue(quality.get("texts").has("answers.weak"), quality.toString());
        assertEquals(12, quality.get("texts").get("answers.weak").get("count").asLong());
        assertTrue(quality.get("texts").get("answers.weak").get("words").get("p50").asLong() > 0);
    }

    @Test
    void noApiKeyAppearsInAnyPageOrAnswer() throws Exception {
        boolean sent = fake.log().stream().anyMatch(r -> String.valueOf(r.headers().get("authorization")).contains(Dash.SECRET));
        assertTrue(sent, "the key was used for the model calls");
        String id = dash.startRun(Map.of("workflow", dash.workflow().toString(), "limit", 3,
                "model", List.of("writer.base_url=" + fake.baseUrl(), "critic.base_url=" + fake.baseUrl())));
        dash.awaitEnded(id, 60);
        List<String> paths = new ArrayList<>(List.of("/", "/workflows", "/runs/" + id, "/runs/" + id + "/records/0", "/api/info",
                "/api/runs", "/api/workflows", "/api/runs/" + id, "/api/runs/" + id + "/graph", "/api/runs/" + id + "/nodes",
                "/api/runs/" + id + "/scores", "/api/runs/" + id + "/progress", "/api/runs/" + id + "/records", "/api/runs/" + id + "/quality",
                "/api/workflow?path=" + java.net.URLEncoder.encode(dash.workflow().toString(), java.nio.charset.StandardCharsets.UTF_8)));
        for (int i = 0; i < 3; i++) paths.add("/api/runs/" + id + "/records/" + i);
        for (String p : paths) {
            HttpResponse<String> r = dash.get(p);
            assertEquals(200, r.statusCode(), p + ": " + r.body());
            assertFalse(r.body().contains(Dash.SECRET), "the key shows in " + p);
        }
        for (String[] e : events("/api/runs/" + id + "/events", 10)) assertFalse(e[1].contains(Dash.SECRET));
        assertFalse(dash.post("/api/runs/" + id + "/export", Map.of("format", "raw")).body().contains(Dash.SECRET));
    }

    @Test
    void errorsAreJsonWithAStatusAndNoStackTrace() {
        HttpResponse<String> r = dash.get("/api/runs/nope");
        assertEquals(404, r.statusCode());
        assertTrue(Dash.parse(r.body()).get("error").asText().contains("no run nope"));
        assertEquals(400, dash.get("/api/runs/" + finished + "/records?limit=abc").statusCode());
        assertEquals(400, dash.get("/api/runs/" + finished + "/records/abc").statusCode());
        assertEquals(404, dash.get("/api/nothing").statusCode());
        HttpResponse<String> notJson = dash.post("/api/runs", "{not json");
        assertEquals(400, notJson.statusCode());
        assertFalse(notJson.body().contains("at dev.weft"), notJson.body());
        assertEquals(404, dash.post("/api/runs", Map.of("workflow", "qa/missing.yaml")).statusCode());
    }

    /** Reads server-sent events until `end` (or the stream closes, or the time is up): [name, data] pairs. */
    List<String[]> events(String path, long seconds) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(dash.base() + path)).header("Accept", "text/event-stream").build();
        HttpResponse<Stream<String>> res = dash.http.send(req, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, res.statusCode());
        assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String[]> out = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<Void> read = CompletableFuture.runAsync(() -> {
            String name = null;
            StringBuilder data = new StringBuilder();
            try (Stream<String> lines = res.body()) {
                var it = lines.iterator();
                while (it.hasNext()) {
                    String l = it.next();
                    if (l.startsWith("event:")) name = l.substring(6).trim();
                    else if (l.startsWith("data:")) data.append(l.substring(5).trim());
                    else if (l.isEmpty() && name != null) {
                        out.add(new String[] {name, data.toString()});
                        if (name.equals("end")) return;
                        name = null;
                        data.setLength(0);
                    }
                }
            }
        });
        read.get(seconds, TimeUnit.SECONDS);
        return out;
    }
}
