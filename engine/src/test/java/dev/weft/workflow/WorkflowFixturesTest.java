package dev.weft.workflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.template.TemplateEngine;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The workflow language's examples, Kestra style: every file under {@code workflows/valid} loads,
 * and every file under {@code workflows/invalid} fails with exactly the problems listed in its
 * {@code .expected} sidecar, one {@code line:col: message} per line, in the order reported.
 *
 * <p>A problem located in another file than the workflow (a prompt file) is written
 * {@code path/relative/to/the/fixture:line:col: message}; {@code {dir}} in a message stands for the
 * fixture's directory as the user named it.
 */
class WorkflowFixturesTest {
    private static final WorkflowLoader LOADER = new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine());

    static Path dir(String name) {
        try {
            return Path.of(WorkflowFixturesTest.class.getResource("/workflows/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<String> invalid() throws IOException {
        return yamlFiles(dir("invalid"));
    }

    static Stream<String> valid() throws IOException {
        return yamlFiles(dir("valid"));
    }

    private static Stream<String> yamlFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList().stream();
        }
    }

    private static List<String> expected(Path yaml) throws IOException {
        Path sidecar = yaml.resolveSibling(yaml.getFileName().toString().replaceFirst("\\.yaml$", ".expected"));
        assertTrue(Files.exists(sidecar), "every fixture has its sidecar: " + sidecar);
        List<String> lines = new ArrayList<>();
        for (String l : Files.readAllLines(sidecar, StandardCharsets.UTF_8)) {
            if (!l.isBlank()) lines.add(l.replace("{dir}", yaml.getParent().toString()));
        }
        return lines;
    }

    private static String line(Path yaml, Problem p) {
        Location at = p.location();
        String where = at.file().equals(yaml.toString()) ? "" : yaml.getParent().relativize(Path.of(at.file())) + ":";
        return where + at.line() + ":" + at.column() + ": " + p.message();
    }

    @ParameterizedTest(name = "invalid/{0}")
    @MethodSource("invalid")
    void invalidWorkflowReportsExactlyTheExpectedProblems(String name) throws IOException {
        Path file = dir("invalid").resolve(name);
        InvalidWorkflowException e = assertThrows(InvalidWorkflowException.class, () -> LOADER.load(file, Overrides.NONE),
                name + " must not load");
        List<String> actual = e.problems().stream().map(p -> line(file, p)).toList();
        assertEquals(expected(file), actual, name + ":\n" + String.join("\n", actual));

        // Sorted by place, and printed as file:line:col: message.
        List<Problem> sorted = new ArrayList<>(e.problems());
        sorted.sort(Comparator.comparing(Problem::location));
        assertEquals(sorted, e.problems());
        for (Problem p : e.problems()) {
            assertEquals(p.location().file() + ":" + p.location().line() + ":" + p.location().column() + ": " + p.message(), p.toString());
            assertTrue(p.location().line() >= 1 && p.location().column() >= 1, "a real place in a file: " + p);
            assertFalse(p.message().contains("Exception"), "no Java in a user's message: " + p);
        }
        assertEquals(String.join("\n", e.problems().stream().map(Problem::toString).toList()), e.getMessage());
    }

    @ParameterizedTest(name = "valid/{0}")
    @MethodSource("valid")
    void validWorkflowLoads(String name) throws IOException {
        Path file = dir("valid").resolve(name);
        Workflow w;
        try {
            w = LOADER.load(file, Overrides.NONE);
        } catch (InvalidWorkflowException e) {
            fail(name + " should load, but:\n" + e.getMessage());
            return;
        }
        // The sidecar pins what the loader made of it: start node, nodes in order, edge count.
        List<String> actual = List.of(
                "start: " + w.start(),
                "nodes: " + String.join(", ", w.nodes().keySet()),
                "edges: " + w.edges().size());
        assertEquals(expected(file), actual, name);
        assertNotNull(w.source());
        assertEquals(64, w.hash().length());
        assertTrue(w.bundle().containsKey(file.toAbsolutePath().normalize().toString()), "the bundle holds the workflow file");
    }

    @Test
    void thereAreEnoughFixtures() throws IOException {
        assertTrue(invalid().count() >= 30, "at least 30 invalid fixtures");
        assertTrue(valid().count() >= 8, "at least 8 valid fixtures");
        // No sidecar without its workflow (a renamed fixture would otherwise go untested).
        for (String d : List.of("valid", "invalid")) {
            try (Stream<Path> files = Files.list(dir(d))) {
                for (Path p : files.filter(f -> f.toString().endsWith(".expected")).toList()) {
                    assertTrue(Files.exists(p.resolveSibling(p.getFileName().toString().replaceFirst("\\.expected$", ".yaml"))), p.toString());
                }
            }
        }
    }

    @Test
    void promptFilesAreBundledAndASeveralProblemFileReportsThemAllInLineOrder() {
        Workflow w = LOADER.load(dir("valid").resolve("sft_files_mapping_edges.yaml"), Overrides.NONE);
        assertTrue(w.bundle().keySet().stream().anyMatch(k -> k.endsWith("persona_user.txt")), w.bundle().keySet().toString());
        assertTrue(w.bundle().keySet().stream().anyMatch(k -> k.endsWith("critic_system.txt")), w.bundle().keySet().toString());

        InvalidWorkflowException e = assertThrows(InvalidWorkflowException.class,
                () -> LOADER.load(dir("invalid").resolve("several_problems.yaml"), Overrides.NONE));
        List<Integer> lines = e.problems().stream().map(p -> p.location().line()).toList();
        assertEquals(List.of(3, 14, 19, 21, 25, 28), lines);
    }
}
