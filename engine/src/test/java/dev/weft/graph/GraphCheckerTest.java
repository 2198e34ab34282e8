package dev.weft.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.template.TemplateEngine;
import dev.weft.workflow.InvalidWorkflowException;
import dev.weft.workflow.NodeKinds;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.Problem;
import dev.weft.workflow.Workflow;
import dev.weft.workflow.WorkflowLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The field-flow check against a reference that knows nothing of data-flow analysis: it walks
 * every path a record can take from START (each bounded edge at most its {@code max} times) and
 * calls a read "definitely written" iff every path that reaches the read passes a writer first.
 * 200 small random workflows, built as YAML text with a fixed seed, must get the same verdicts
 * from the validator; and each path the validator names must be a real path without a writer.
 */
class GraphCheckerTest {
    private static final List<String> FIELDS = List.of("apple", "brick", "cloud", "delta");
    private static final Pattern VERDICT = Pattern.compile("^(node '\\w+'|the condition of edge \\w+ -> \\w+|the sink's map) reads field '(\\w+)', .*");
    private static final Pattern PATH = Pattern.compile("the path ([\\w >-]+) passes no node that writes it");
    private final WorkflowLoader loader = new WorkflowLoader(NodeKinds.builtIn(), new TemplateEngine());

    @TempDir
    Path dir;

    /** One random workflow: transform nodes that read and write fields, forward edges, bounded back edges. */
    record Edge(int from, int to, Set<String> when, boolean otherwise, Integer max) {}

    record Flow(int n, List<Set<String>> writes, List<Set<String>> reads, List<Edge> edges, Set<String> source, Set<String> sink) {
        String name(int v) {
            return v == n ? "END" : "n" + v;
        }

        Set<String> written(int v) {
            return v == n ? Set.of() : writes.get(v);
        }

        String yaml(boolean sourceFile) {
            StringBuilder y = new StringBuilder("name: random\nsource:\n");
            y.append(sourceFile ? "  path: data.jsonl\n" : "  generate: 2\n");
            y.append("nodes:\n");
            for (int v = 0; v < n; v++) {
                y.append("  n").append(v).append(":\n    kind: transform\n    set:\n");
                // done_v carries the reads; each written field gets a constant.
                y.append("      done_").append(v).append(": ")
                        .append(reads.get(v).isEmpty() ? "1" : "\"" + String.join(" ~ ", reads.get(v)) + "\"").append('\n');
                for (String f : writes.get(v)) y.append("      ").append(f).append(": 1\n");
            }
            y.append("edges:\n");
            for (Edge e : edges) {
                if (e.when() == null && !e.otherwise() && e.max() == null) {
                    y.append("  - ").append(name(e.from())).append(" -> ").append(name(e.to())).append('\n');
                } else {
                    y.append("  - {from: ").append(name(e.from())).append(", to: ").append(name(e.to()));
                    if (e.when() != null) y.append(", when: \"").append(e.when().isEmpty() ? "true" : String.join(" and ", e.when())).append('"');
                    if (e.otherwise()) y.append(", otherwise: true");
                    if (e.max() != null) y.append(", max: ").append(e.max());
                    y.append("}\n");
                }
            }
            if (!sink.isEmpty()) {
                y.append("sink:\n  path: out/random.jsonl\n  map:\n");
                for (String f : sink) y.append("    out_").append(f).append(": ").append(f).append('\n');
            }
            return y.toString();
        }
    }

    private static Set<String> subset(Random r, double p) {
        Set<String> s = new LinkedHashSet<>();
        for (String f : FIELDS) if (r.nextDouble() < p) s.add(f);
        return s;
    }

    /** A random workflow in which every node is reachable (other checks then stay silent). */
    private static Flow generate(Random r) {
        while (true) {
            int n = 2 + r.nextInt(5);
            List<Set<String>> writes = new ArrayList<>();
            List<Set<String>> reads = new ArrayList<>();
            List<Edge> edges = new ArrayList<>();
            for (int v = 0; v < n; v++) {
                writes.add(subset(r, 0.45));
                reads.add(subset(r, 0.15));
            }
            for (int v = 0; v < n; v++) {
                int next = v + 1 + r.nextInt(n - v); // forward, or END (= n): every node reaches END
                int conditional = r.nextInt(3); // 0, 1 or 2 conditional edges besides the way on
                for (int c = 0; c < conditional; c++) {
                    int to = r.nextInt(n + 1); // anywhere: back, itself, forward, END
                    boolean back = to <= v;
                    Integer max = back || r.nextDouble() < 0.4 ? Integer.valueOf(1 + r.nextInt(2)) : null;
                    edges.add(new Edge(v, to, subset(r, 0.12), false, max));
                }
                edges.add(new Edge(v, next, null, conditional > 0, null));
            }
            // Every cycle passes a bounded back edge; keep only workflows whose nodes are all reachable.
            Set<Integer> seen = new HashSet<>(List.of(0));
            ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(0));
            while (!queue.isEmpty()) {
                int v = queue.poll();
                for (Edge e : edges) if (e.from() == v && e.to() < n && seen.add(e.to())) queue.add(e.to());
            }
            if (seen.size() < n) continue;
            Set<String> source = r.nextDouble() < 0.3 ? subset(r, 0.4) : Set.of();
            Set<String> sink = r.nextDouble() < 0.4 ? subset(r, 0.3) : Set.of();
            return new Flow(n, writes, reads, edges, source, sink);
        }
    }

    /**
     * The reference: every path from START, each bounded edge taken at most max times. A state
     * is (node, uses of each bounded edge, fields written so far); states already explored are
     * not explored again, which changes nothing about which reads some path leaves unwritten.
     */
    private static Set<String> reference(Flow w) {
        Set<String> flagged = new TreeSet<>();
        Set<String> explored = new HashSet<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {0, new int[w.edges().size()], new TreeSet<>(w.source())});
        while (!stack.isEmpty()) {
            Object[] s = stack.pop();
            int v = (Integer) s[0];
            int[] uses = (int[]) s[1];
            @SuppressWarnings("unchecked")
            TreeSet<String> written = (TreeSet<String>) s[2];
            if (!explored.add(v + Arrays.toString(uses) + written)) continue;
            if (v == w.n()) {
                for (String f : w.sink()) if (!written.contains(f)) flagged.add("the sink's map reads field '" + f + "'");
                continue;
            }
            for (String f : w.reads().get(v)) if (!written.contains(f)) flagged.add("node 'n" + v + "' reads field '" + f + "'");
            TreeSet<String> after = new TreeSet<>(written);
            after.addAll(w.writes().get(v));
            for (int i = 0; i < w.edges().size(); i++) {
                Edge e = w.edges().get(i);
                if (e.from() != v) continue;
                if (e.when() != null) {
                    for (String f : e.when()) {
                        if (!after.contains(f)) flagged.add("the condition of edge n" + v + " -> " + w.name(e.to()) + " reads field '" + f + "'");
                    }
                }
                if (e.max() != null && uses[i] >= e.max()) continue;
                int[] more = uses.clone();
                more[i]++;
                stack.push(new Object[] {e.to(), more, after});
            }
        }
        return flagged;
    }

    @Test
    void fieldFlowAgreesWithPathEnumerationOn200RandomWorkflows() throws IOException {
        Random random = new Random(20_261_120L);
        int flaggedWorkflows = 0;
        int cleanWorkflows = 0;
        for (int round = 0; round < 200; round++) {
            Flow w = generate(random);
            Path wdir = Files.createDirectories(dir.resolve("w" + round));
            boolean sourceFile = !w.source().isEmpty();
            if (sourceFile) {
                StringBuilder row = new StringBuilder("{");
                for (String f : w.source()) row.append(row.length() > 1 ? ", " : "").append('"').append(f).append("\": 1");
                Files.writeString(wdir.resolve("data.jsonl"), row + "}\n");
            }
            String yaml = w.yaml(sourceFile);
            Path file = wdir.resolve("workflow.yaml");
            Files.writeString(file, yaml);

            Set<String> expected = reference(w);
            Set<String> actual = new TreeSet<>();
            try {
                Workflow loaded = loader.load(file, Overrides.NONE);
                assertEquals("n0", loaded.start());
                cleanWorkflows++;
            } catch (InvalidWorkflowException e) {
                flaggedWorkflows++;
                for (Problem p : e.problems()) {
                    Matcher m = VERDICT.matcher(p.message());
                    if (!m.matches()) fail("round " + round + ": unexpected problem " + p + "\n" + yaml);
                    actual.add(m.group(1) + " reads field '" + m.group(2) + "'");
                    checkNamedPath(w, p.message(), m.group(1), m.group(2), round, yaml);
                }
            }
            assertEquals(expected, actual, "round " + round + "\n" + yaml);
        }
        // The generator must exercise both verdicts, or the comparison proves little.
        assertTrue(flaggedWorkflows > 30 && cleanWorkflows > 30, flaggedWorkflows + " flagged, " + cleanWorkflows + " clean");
    }

    /** A path named in a message starts at the start, follows edges, and passes no writer of the field. */
    private static void checkNamedPath(Flow w, String message, String who, String field, int round, String yaml) {
        Matcher m = PATH.matcher(message);
        if (!m.find()) {
            assertTrue(message.contains("which no node writes"), "a message without a path is about a field nothing writes: " + message);
            for (Set<String> ws : w.writes()) assertTrue(!ws.contains(field), message);
            return;
        }
        List<String> path = List.of(m.group(1).split(" -> "));
        assertEquals("n0", path.get(0), message);
        Map<String, Integer> index = new HashMap<>();
        for (int v = 0; v <= w.n(); v++) index.put(w.name(v), v);
        for (int i = 0; i + 1 < path.size(); i++) {
            int from = index.get(path.get(i));
            int to = index.get(path.get(i + 1));
            assertTrue(w.edges().stream().anyMatch(e -> e.from() == from && e.to() == to), "round " + round + ": no edge " + path + "\n" + yaml);
            assertTrue(!w.written(from).contains(field), "round " + round + ": " + path.get(i) + " writes " + field + "\n" + yaml);
        }
        String last = path.get(path.size() - 1);
        if (who.startsWith("node")) assertEquals(who, "node '" + last + "'");
        if (who.startsWith("the sink")) assertEquals("END", last);
        if (who.startsWith("the condition")) {
            assertTrue(who.startsWith("the condition of edge " + last + " -> "), message);
            assertTrue(!w.written(index.get(last)).contains(field), message);
        }
    }
}
