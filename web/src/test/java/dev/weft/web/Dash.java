package dev.weft.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.run.RunMonitor;
import dev.weft.run.RunOptions;
import dev.weft.run.RunResult;
import dev.weft.run.Runner;
import dev.weft.store.Store;
import dev.weft.testkit.FakeModelServer;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.WorkflowLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A real dashboard for tests: a served folder in a temp dir holding the test workflow (with its
 * prompt file and generated data), a real SQLite store, and the server on 127.0.0.1 at a free
 * port. Also runs workflows the way `weft run` does (a Runner straight on the store), so the
 * dashboard sees runs it did not start.
 */
final class Dash implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SECRET = "sk-dash-test-9f8e7d6c5b4a39281706";
    static final String KEY_ENV = "WEFT_DASH_TEST_KEY";

    final Path dir;
    final Path folder;
    final Store store;
    final WebServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Runner> cliRunners = new ArrayList<>();

    private Dash(Path dir, String token) throws IOException {
        this.dir = dir;
        this.folder = Files.createDirectories(dir.resolve("served"));
        copyFixture("qa/workflow.yaml");
        copyFixture("qa/prompts/question_system.txt");
        writeTopics(folder.resolve("qa/data/topics.jsonl"), 30, null);
        this.store = Store.open(dir.resolve("weft.db"));
        this.server = WebServer.start(store, new WebServer.Config("127.0.0.1", 0, token, List.of(folder), Map.of(KEY_ENV, SECRET)),
                Dash::loader);
    }

    static Dash start(Path dir) throws IOException {
        return new Dash(dir, null);
    }

    static Dash start(Path dir, String token) throws IOException {
        return new Dash(dir, token);
    }

    static WorkflowLoader loader() {
        return new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine());
    }

    Path workflow() {
        return folder.resolve("qa/workflow.yaml");
    }

    String base() {
        return "http://127.0.0.1:" + server.port();
    }

    private void copyFixture(String name) throws IOException {
        Path to = folder.resolve(name);
        Files.createDirectories(to.getParent());
        try (InputStream in = Dash.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("missing test resource " + name);
            Files.copy(in, to);
        }
    }

    /**
     * A workflow whose records explode into questions that are answered and deduplicated (exact), in
     * {@code split/}: t0 (rivers) makes three children, the third a duplicate of the first; t1 makes
     * none (filtered); t2 makes two, the second a duplicate of t0's second.
     */
    Path explodeWorkflow(FakeModelServer fake) throws IOException {
        Path dir = Files.createDirectories(folder.resolve("split"));
        Files.writeString(dir.resolve("topics.jsonl"), """
                {"id": "t0", "topic": "rivers"}
                {"id": "t1", "topic": "deserts"}
                {"id": "t2", "topic": "tides"}
                """);
        fake.answer("Questions about rivers", "Why do rivers meander?\nWhere does the Nile begin?\nWhy do rivers meander!");
        fake.answer("Questions about deserts", "[]");
        fake.answer("Questions about tides", "What causes tides?\nWhere does the Nile begin");
        Path wf = dir.resolve("workflow.yaml");
        Files.writeString(wf, """
                name: lineage
                models:
                  writer: {provider: openai, model: w, base_url: "%s", retry_delay: 10ms}
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
                    prompt: "Answer: {{ question }}"
                  unique:
                    kind: dedup
                    field: question
                edges:
                  - ask -> split -> answer -> unique -> END
                sink: {path: out.jsonl, map: {question: question, answer: answer}}
                """.formatted(fake.baseUrl()));
        return wf;
    }

    /** n topics, ids t000..; {@code special} (if not null) becomes the topic of the first record. */
    static void writeTopics(Path file, int n, String special) throws IOException {
        writeTopics(file, n, special, "");
    }

    /** As above, each topic starting with {@code prefix} (different topics never share cached answers). */
    static void writeTopics(Path file, int n, String special, String prefix) throws IOException {
        Files.createDirectories(file.getParent());
        StringBuilder b = new StringBuilder();
        String[] words = {"photosynthesis", "tides", "compilers", "glaciers", "vaccines", "bridges", "volcanoes", "entropy"};
        for (int i = 0; i < n; i++) {
            String topic = i == 0 && special != null ? special : prefix + words[i % words.length] + " " + i;
            b.append(JSON.writeValueAsString(Map.of("topic_id", String.format("t%03d", i), "topic", topic))).append('\n');
        }
        Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
    }

    // ---- HTTP

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base() + path)).GET().build());
    }

    JsonNode json(String path) {
        HttpResponse<String> r = get(path);
        assertEquals(200, r.statusCode(), () -> "GET " + path + " -> " + r.statusCode() + ": " + r.body());
        return parse(r.body());
    }

    HttpResponse<String> post(String path, Object body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : write(body)));
        for (int i = 0; i + 1 < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return send(b.build());
    }

    HttpResponse<String> send(HttpRequest req) {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a run through the API and returns its id. */
    String startRun(Map<String, Object> body) {
        HttpResponse<String> r = post("/api/runs", body);
        assertEquals(201, r.statusCode(), () -> "start -> " + r.statusCode() + ": " + r.body());
        return parse(r.body()).get("id").asText();
    }

    /** Polls the run until {@code done} holds for its state; fails after {@code seconds}. */
    JsonNode awaitRun(String id, Predicate<JsonNode> done, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        JsonNode s = null;
        while (System.nanoTime() < deadline) {
            s = json("/api/runs/" + id);
            if (done.test(s)) return s;
            Thread.sleep(100);
        }
        fail("run " + id + " did not get there within " + seconds + " s; last state: " + s);
        return null;
    }

    JsonNode awaitEnded(String id, long seconds) throws InterruptedException {
        return awaitRun(id, s -> s.path("run").path("ended").asBoolean(), seconds);
    }

    /** Runs the workflow to its end the way `weft run` does, beside the dashboard (not through it). */
    RunResult runLikeCli(Path workflow, RunOptions options) {
        Runner runner = new Runner(loader(), new TemplateEngine(), store);
        return runner.start(workflow, options, new RunMonitor());
    }

    /** Starts a run the way `weft run` does on its own thread; returns once it is recorded. */
    String startLikeCli(Path workflow, RunOptions options) throws InterruptedException {
        Runner runner = new Runner(loader(), new TemplateEngine(), store);
        RunMonitor monitor = new RunMonitor();
        synchronized (cliRunners) {
            cliRunners.add(runner);
        }
        Thread.ofPlatform().daemon(true).start(() -> runner.start(workflow, options, monitor));
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (monitor.runId() == null && System.nanoTime() < deadline) Thread.sleep(10);
        if (monitor.runId() == null) fail("the run did not start");
        return monitor.runId();
    }

    static RunOptions options(String fakeBaseUrl, Map<String, String> env) {
        return RunOptions.defaults().withEnvironment(env).withOverrides(new Overrides(List.of(),
                List.of("writer.base_url=" + fakeBaseUrl, "critic.base_url=" + fakeBaseUrl)));
    }

    @Override
    public void close() {
        synchronized (cliRunners) {
            for (Runner r : cliRunners) r.interrupt();
            for (Runner r : cliRunners) {
                try {
                    r.awaitFinished(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        server.close();
        store.close();
    }
}
