package dev.weft.library;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import dev.weft.workflow.InvalidWorkflowException;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.Problems;
import dev.weft.workflow.Workflow;
import dev.weft.workflow.WorkflowLoader;
import dev.weft.yaml.YamlReader;
import dev.weft.yaml.YamlValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every workflow of the library ({@code workflows/NAME/workflow.yaml}, found on disk, so a new one is
 * covered as soon as it is added) validates, runs end to end on its seed data under the simulator
 * and against the HTTP test server, and writes the output its {@code expect.yaml} describes; a
 * second run against the server is served wholly from the cache. See {@link Expectation} for the
 * expectation file. {@code -Dweft.library=NAME,NAME} limits a run of this test to those workflows.
 */
class LibraryWorkflowsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TemplateEngine TEMPLATES = new TemplateEngine();
    private static final Path ROOT = repositoryRoot();

    @TempDir
    Path dir;

    static Stream<String> workflows() throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> folders = Files.list(ROOT.resolve("workflows"))) {
            folders.filter(f -> Files.isRegularFile(f.resolve("workflow.yaml"))).forEach(f -> names.add(f.getFileName().toString()));
        }
        assertTrue(names.size() >= 7, "the library holds at least the seven first workflows, found " + names);
        // -Dweft.library=NAME,NAME runs only those (while working on one workflow); unset, all of them
        String only = System.getProperty("weft.library", "");
        List<String> chosen = only.isBlank() ? names : List.of(only.split(","));
        return names.stream().filter(chosen::contains).sorted();
    }

    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("workflows")) && Files.isRegularFile(p.resolve("pom.xml"))) return p;
        }
        throw new IllegalStateException("no folder above " + Path.of("").toAbsolutePath() + " holds workflows/ and pom.xml");
    }

    private static Path workflowFile(String name) {
        return ROOT.resolve("workflows").resolve(name).resolve("workflow.yaml");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workflows")
    void validatesAndIsLaidOutAsTheLibraryPromises(String name) throws IOException {
        Path file = workflowFile(name);
        Workflow w;
        try {
            w = new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES).load(file, Overrides.NONE);
        } catch (InvalidWorkflowException e) {
            throw new AssertionError(name + " does not validate:\n" + String.join("\n", e.problems().stream().map(Object::toString).toList()));
        }
        Path folder = file.getParent();
        assertTrue(Files.isRegularFile(folder.resolve("README.md")), name + " has a README.md");
        assertTrue(Files.isRegularFile(folder.resolve("expect.yaml")), name + " has an expect.yaml");
        assertTrue(Files.isDirectory(folder.resolve("prompts")), name + " keeps its prompts in prompts/");
        Path seeds = ROOT.resolve("examples/seeds").resolve(name).normalize();
        assertTrue(w.source().path() != null && w.source().path().normalize().startsWith(seeds),
                name + " reads its seed data from examples/seeds/" + name + "/, not " + w.source().path());
        assertTrue(w.sink() != null && w.sink().path().normalize().startsWith(folder.resolve("out")),
                name + " writes under its own out/ folder, not " + (w.sink() == null ? "nowhere" : w.sink().path()));
        String readme = Files.readString(folder.resolve("README.md"));
        assertTrue(readme.contains("./weft run workflows/" + name + "/workflow.yaml"), name + "'s README gives the run command");
        assertTrue(readme.toLowerCase().contains("per 1,000 records"), name + "'s README gives the cost per 1,000 records");
        for (String node : w.nodes().keySet()) {
            assertTrue(readme.contains("`" + node + "`"), name + "'s README explains node `" + node + "`");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workflows")
    void runsUnderTheSimulatorAndWritesTheExpectedRecords(String name) throws Exception {
        Expectation expect = Expectation.read(workflowFile(name).resolveSibling("expect.yaml"));
        Path out = dir.resolve("simulated.jsonl");
        String runId;
        try (Store store = Store.open(dir.resolve("weft.db"))) {
            RunResult r = run(store, name, out, RunOptions.defaults().withSimulate(true), List.of());
            runId = r.runId();
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(0, r.counters().failed(), name + ": no record fails under the simulator");
            assertTrue(r.counters().calls() > 0, name + " calls its models");
        }
        List<JsonNode> lines = lines(out);
        assertEquals(expect.simulatedRecords(), lines.size(), name + ": output records under --simulate");
        expect.check(name, lines);
        if (expect.fanOut() != null) expect.checkFanOut(name, records(runId), lines);
        assertTrue(Files.isRegularFile(out.resolveSibling("README.md")), "a dataset card is written beside the output");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workflows")
    void runsAgainstTheHttpTestServerAndASecondRunIsFree(String name) throws Exception {
        Expectation expect = Expectation.read(workflowFile(name).resolveSibling("expect.yaml"));
        try (FakeModelServer server = FakeModelServer.start(); Store store = Store.open(dir.resolve("weft.db"))) {
            expect.serverAnswers().forEach(server::answer);
            List<String> models = new ArrayList<>();
            for (String profile : profiles(workflowFile(name))) models.add(profile + ".base_url=" + server.baseUrl());

            Path first = dir.resolve("first.jsonl");
            RunResult r = run(store, name, first, RunOptions.defaults(), models);
            assertEquals(RunStatus.COMPLETED, r.status(), r.message());
            assertEquals(0, r.counters().failed(), name + ": no record fails against the test server");
            assertTrue(r.counters().calls() > 0, name + " calls the server");
            int requests = server.log().size();
            assertTrue(requests >= r.counters().calls(), "every counted call reached the server: " + requests + " requests, "
                    + r.counters().calls() + " calls");
            List<JsonNode> lines = lines(first);
            assertTrue(lines.size() >= expect.serverMinRecords(), name + ": at least " + expect.serverMinRecords()
                    + " records against the test server, found " + lines.size());
            expect.check(name, lines);
            if (expect.fanOut() != null) expect.checkFanOut(name, records(r.runId()), lines);

            Path second = dir.resolve("second.jsonl");
            RunResult again = run(store, name, second, RunOptions.defaults(), models);
            assertEquals(RunStatus.COMPLETED, again.status(), again.message());
            assertEquals(0, again.counters().calls(), name + ": the second run is served from the cache");
            assertTrue(again.counters().cacheHits() > 0, name + ": the second run reads the cache");
            assertEquals(requests, server.log().size(), name + ": the second run sends no request");
            assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second), name + ": the replay writes the same bytes");
        }
    }

    private static RunResult run(Store store, String name, Path out, RunOptions options, List<String> models) {
        Overrides overrides = new Overrides(List.of("sink.path=" + out.toAbsolutePath()), models);
        return new Runner(new WorkflowLoader(NodeKinds.builtIn(), TEMPLATES), TEMPLATES, store)
                .start(workflowFile(name), options.withConcurrency(16).withOverrides(overrides), new RunMonitor());
    }

    /** The model profiles the workflow file itself declares (the ones `--model` can reach). */
    private static List<String> profiles(Path file) throws IOException {
        Problems problems = new Problems();
        YamlValue top = new YamlReader().read(Files.readString(file), file.toString(), problems).orElseThrow();
        Object models = ((Map<?, ?>) top.toPlain()).get("models");
        List<String> names = new ArrayList<>();
        if (models instanceof Map<?, ?> m) m.keySet().forEach(k -> names.add(k.toString()));
        return names;
    }

    /** The run's records in the store, in record order (a parent before its children), as {record id, status}. */
    private List<String[]> records(String runId) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("weft.db"));
             PreparedStatement q = c.prepareStatement("SELECT record_id, status FROM records WHERE run_id = ? ORDER BY seq, path")) {
            q.setString(1, runId);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) out.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        return out;
    }

    private static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        for (String l : Files.readAllLines(file)) out.add(JSON.readTree(l));
        return out;
    }
}
