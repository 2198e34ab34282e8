package dev.weft.graph;

import dev.weft.template.FieldRead;
import dev.weft.template.Expression;
import dev.weft.workflow.EdgeDef;
import dev.weft.workflow.Location;
import dev.weft.workflow.NodeDef;
import dev.weft.workflow.Problems;
import dev.weft.workflow.SinkDef;
import dev.weft.yaml.ShapeChecker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgrapht.Graph;
import org.jgrapht.alg.connectivity.KosarajuStrongConnectivityInspector;
import org.jgrapht.graph.AsSubgraph;
import org.jgrapht.graph.DirectedPseudograph;
import org.jgrapht.traverse.BreadthFirstIterator;
import org.jgrapht.graph.EdgeReversedGraph;

/**
 * The static checks of a workflow's graph: every node reachable from the start and able to reach
 * END, every cycle bounded by an edge with {@code max:}, every node's way out well defined, and
 * every field a template or condition reads written on every path that reaches it.
 * Stateless; thread-safe.
 */
public final class GraphChecker {
    private GraphChecker() {}

    /** Adds every problem found; returns the start node's name. */
    public static String check(Map<String, NodeDef> nodes, List<EdgeDef> edges, SinkDef sink, Set<String> sourceFields,
                               Problems problems, Location nodesAt) {
        if (nodes.isEmpty()) return null;
        Graph<String, EdgeDef> g = WorkflowGraph.of(nodes.keySet(), edges);
        String start = start(nodes, edges, problems);
        exits(nodes, edges, problems);
        reachability(g, nodes, start, problems);
        cycles(g, nodes, problems);
        orderedOutsideCycles(g, nodes, problems);
        if (problems.isEmpty()) new FieldFlow(g, nodes, edges, start, sourceFields).check(sink, problems);
        return start;
    }

    /**
     * The fields a record surely holds when it reaches END, for a workflow that passed
     * {@link #check}: its source fields and every field written on all paths to END.
     */
    public static Set<String> fieldsAtEnd(Map<String, NodeDef> nodes, List<EdgeDef> edges, String start, Set<String> sourceFields) {
        Graph<String, EdgeDef> g = WorkflowGraph.of(nodes.keySet(), edges);
        return Set.copyOf(new FieldFlow(g, nodes, edges, start, sourceFields).in.get(EdgeDef.END));
    }

    private static String start(Map<String, NodeDef> nodes, List<EdgeDef> edges, Problems problems) {
        List<EdgeDef> fromStart = edges.stream().filter(e -> e.from().equals(EdgeDef.START)).toList();
        if (fromStart.isEmpty()) return nodes.keySet().iterator().next();
        if (fromStart.size() > 1 || fromStart.get(0).conditional()) {
            problems.add(fromStart.get(fromStart.size() - 1).location(), "START takes exactly one unconditional edge, to the first node; branch after that node instead");
        }
        return fromStart.get(0).to();
    }

    private static void exits(Map<String, NodeDef> nodes, List<EdgeDef> edges, Problems problems) {
        for (NodeDef n : nodes.values()) {
            List<EdgeDef> out = edges.stream().filter(e -> e.from().equals(n.name())).toList();
            if (out.isEmpty()) {
                problems.add(n.location(), "node '" + n.name() + "' has no outgoing edge; add `" + n.name() + " -> END` or an edge to the next node");
                continue;
            }
            List<EdgeDef> plain = out.stream().filter(e -> !e.conditional()).toList();
            List<EdgeDef> otherwise = out.stream().filter(EdgeDef::otherwise).toList();
            List<EdgeDef> when = out.stream().filter(e -> e.when() != null).toList();
            if (plain.size() > 1) {
                problems.add(plain.get(1).location(), "node '" + n.name() + "' has more than one unconditional edge (" + plain.get(0)
                        + ", " + plain.get(1) + "); a record follows one path: give all but one a `when:`");
            }
            if (otherwise.size() > 1) {
                problems.add(otherwise.get(1).location(), "node '" + n.name() + "' has more than one `otherwise` edge");
            }
            if (!plain.isEmpty() && !otherwise.isEmpty()) {
                problems.add(otherwise.get(0).location(), "node '" + n.name() + "' has both an unconditional and an `otherwise` edge; make the unconditional one `otherwise: true`");
            }
            if (!when.isEmpty() && plain.isEmpty() && otherwise.isEmpty()) {
                problems.add(when.get(0).location(), "node '" + n.name() + "' has only conditional edges; add `{from: " + n.name()
                        + ", to: ..., otherwise: true}` for records that match none");
            }
            for (EdgeDef e : out) {
                if (e.max() != null && e.when() == null && !e.otherwise() && when.isEmpty()) {
                    problems.add(e.location(), "the bounded edge " + e + " is the only way out of '" + n.name()
                            + "' but once its max is used up there is none; give it a `when:` and add an `otherwise` edge");
                }
            }
        }
    }

    private static void reachability(Graph<String, EdgeDef> g, Map<String, NodeDef> nodes, String start, Problems problems) {
        if (start == null || !g.containsVertex(start)) return;
        Set<String> reached = new HashSet<>();
        // From START rather than the start node: a second START edge is reported on its own, and
        // the node it leads to should not be called unreachable as well.
        new BreadthFirstIterator<>(g, EdgeDef.START).forEachRemaining(reached::add);
        Set<String> reachEnd = new HashSet<>();
        new BreadthFirstIterator<>(new EdgeReversedGraph<>(g), EdgeDef.END).forEachRemaining(reachEnd::add);
        Set<String> stuck = new LinkedHashSet<>(); // in workflow order
        for (NodeDef n : nodes.values()) {
            if (!reached.contains(n.name())) {
                problems.add(n.location(), "node '" + n.name() + "' is unreachable: no path leads to it from the start ('" + start
                        + "'); add an edge to it or remove it");
            } else if (!reachEnd.contains(n.name())) {
                stuck.add(n.name());
            }
        }
        // Report where records get trapped, once per trap: a node without an outgoing edge is
        // reported by exits(), and a loop whose every way out leads back into it is reported
        // here. The nodes that merely lead into a trap are fixed with it.
        Graph<String, EdgeDef> sub = new AsSubgraph<>(g, stuck);
        for (Set<String> scc : new KosarajuStrongConnectivityInspector<>(sub).stronglyConnectedSets()) {
            boolean bottom = scc.stream().allMatch(v -> sub.outgoingEdgesOf(v).stream().allMatch(e -> scc.contains(e.to())));
            String first = stuck.stream().filter(scc::contains).findFirst().orElseThrow();
            if (!bottom || sub.outgoingEdgesOf(first).isEmpty()) continue;
            Set<String> ordered = new LinkedHashSet<>();
            stuck.stream().filter(scc::contains).forEach(ordered::add);
            String loop = String.join(" -> ", cycleThrough(sub, ordered));
            problems.add(nodes.get(first).location(), ordered.size() == 1
                    ? "node '" + first + "' cannot reach END: its only way out leads back to it (" + loop
                            + "); add an edge from it to END or onward"
                    : "nodes " + quoted(ordered) + " cannot reach END: every edge out of them leads back into the loop " + loop
                            + "; add an edge from one of them to END or onward");
        }
    }

    /** 'a', 'b' and 'c' */
    private static String quoted(Set<String> names) {
        List<String> q = names.stream().map(n -> "'" + n + "'").toList();
        return q.size() == 1 ? q.get(0) : String.join(", ", q.subList(0, q.size() - 1)) + " and " + q.get(q.size() - 1);
    }

    private static void cycles(Graph<String, EdgeDef> g, Map<String, NodeDef> nodes, Problems problems) {
        Set<EdgeDef> unbounded = new LinkedHashSet<>();
        for (EdgeDef e : g.edgeSet()) if (e.max() == null) unbounded.add(e);
        Graph<String, EdgeDef> sub = new AsSubgraph<>(g, g.vertexSet(), unbounded);
        for (Set<String> scc : new KosarajuStrongConnectivityInspector<>(sub).stronglyConnectedSets()) {
            boolean selfLoop = scc.size() == 1 && sub.containsEdge(scc.iterator().next(), scc.iterator().next());
            if (scc.size() < 2 && !selfLoop) continue;
            List<String> cycle = cycleThrough(sub, scc);
            EdgeDef first = sub.getEdge(cycle.get(0), cycle.get(1));
            problems.add(first.location(), "the cycle " + String.join(" -> ", cycle)
                    + " has no bounded edge; add `max: N` to one of its edges so that every record leaves it");
        }
    }

    /**
     * An ordered node (dedup) decides each record once, against the records before it, and records
     * wait for each other there: a record that could come back would never have passed it for good.
     */
    private static void orderedOutsideCycles(Graph<String, EdgeDef> g, Map<String, NodeDef> nodes, Problems problems) {
        if (nodes.values().stream().noneMatch(n -> n.node().ordered())) return;
        for (Set<String> scc : new KosarajuStrongConnectivityInspector<>(g).stronglyConnectedSets()) {
            for (NodeDef n : nodes.values()) {
                if (!n.node().ordered() || !scc.contains(n.name())) continue;
                if (scc.size() < 2 && !g.containsEdge(n.name(), n.name())) continue;
                Set<String> ordered = new LinkedHashSet<>();
                ordered.add(n.name());
                nodes.keySet().stream().filter(scc::contains).forEach(ordered::add);
                problems.add(n.location(), "node '" + n.name() + "' (" + n.kind() + ") is inside the loop " + String.join(" -> ", cycleThrough(g, ordered))
                        + ", but it compares each record with the records before it, once; move it before or after the loop");
            }
        }
    }

    /** One cycle inside a strongly connected set, starting from its first node in workflow order. */
    private static List<String> cycleThrough(Graph<String, EdgeDef> g, Set<String> scc) {
        String origin = scc.iterator().next();
        Map<String, String> parent = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(origin));
        parent.put(origin, null);
        while (!queue.isEmpty()) {
            String v = queue.poll();
            for (EdgeDef e : g.outgoingEdgesOf(v)) {
                String w = e.to();
                if (!scc.contains(w)) continue;
                if (w.equals(origin)) {
                    List<String> path = new ArrayList<>();
                    for (String x = v; x != null; x = parent.get(x)) path.add(0, x);
                    path.add(origin);
                    return path;
                }
                if (!parent.containsKey(w)) {
                    parent.put(w, v);
                    queue.add(w);
                }
            }
        }
        return List.of(origin, origin);
    }

    /** Definite-assignment analysis of record fields over the graph. */
    private static final class FieldFlow {
        private final Graph<String, EdgeDef> g;
        private final Map<String, NodeDef> nodes;
        private final String start;
        private final Set<String> sourceFields;
        private final Map<String, Set<String>> in = new HashMap<>();

        FieldFlow(Graph<String, EdgeDef> g, Map<String, NodeDef> nodes, List<EdgeDef> edges, String start, Set<String> sourceFields) {
            this.g = g;
            this.nodes = nodes;
            this.start = start;
            this.sourceFields = sourceFields;
            solve();
        }

        private Set<String> out(String v) {
            Set<String> o = new HashSet<>(in.get(v));
            NodeDef n = nodes.get(v);
            if (n != null) o.addAll(n.node().writes());
            return o;
        }

        private void solve() {
            Set<String> all = new HashSet<>(sourceFields);
            nodes.values().forEach(n -> all.addAll(n.node().writes()));
            for (String v : g.vertexSet()) in.put(v, new HashSet<>(all));
            in.put(EdgeDef.START, new HashSet<>(sourceFields));
            boolean changed = true;
            while (changed) {
                changed = false;
                for (String v : g.vertexSet()) {
                    if (v.equals(EdgeDef.START)) continue;
                    Set<String> meet = null;
                    for (EdgeDef e : g.incomingEdgesOf(v)) {
                        Set<String> o = out(e.from());
                        if (meet == null) meet = o;
                        else meet.retainAll(o);
                    }
                    if (v.equals(start)) {
                        if (meet == null) meet = new HashSet<>(sourceFields);
                        else meet.retainAll(sourceFields);
                    }
                    if (meet == null) continue; // unreachable; reported elsewhere
                    if (!meet.equals(in.get(v))) {
                        in.put(v, meet);
                        changed = true;
                    }
                }
            }
        }

        void check(SinkDef sink, Problems problems) {
            for (NodeDef n : nodes.values()) {
                for (FieldRead r : n.node().reads()) {
                    if (!in.get(n.name()).contains(r.field())) report(r, "node '" + n.name() + "'", n.name(), false, problems);
                }
            }
            for (EdgeDef e : g.edgeSet()) {
                Expression when = e.when();
                if (when == null) continue;
                Set<String> available = out(e.from());
                for (FieldRead r : when.reads()) {
                    if (!available.contains(r.field())) report(r, "the condition of edge " + e, e.from(), true, problems);
                }
            }
            if (sink != null) {
                for (Expression x : sink.map().values()) {
                    for (FieldRead r : x.reads()) {
                        if (!in.get(EdgeDef.END).contains(r.field())) report(r, "the sink's map", EdgeDef.END, false, problems);
                    }
                }
            }
        }

        private void report(FieldRead r, String who, String at, boolean includeAt, Problems problems) {
            Set<String> known = new HashSet<>(sourceFields);
            nodes.values().forEach(n -> known.addAll(n.node().writes()));
            if (!known.contains(r.field())) {
                // Nothing writes it anywhere: most likely a typo, and no path explains anything.
                String hint = ShapeChecker.nearest(r.field(), known).map(n -> "; did you mean '" + n + "'?").orElse("");
                String source = sourceFields.isEmpty() ? "the source provides no fields"
                        : "the source provides " + String.join(", ", new java.util.TreeSet<>(sourceFields));
                problems.add(r.at(), who + " reads field '" + r.field() + "', which no node writes and the source does not provide ("
                        + source + ")" + hint);
                return;
            }
            List<String> path = pathWithout(r.field(), at, includeAt);
            Set<String> writers = new LinkedHashSet<>();
            nodes.values().stream().filter(n -> n.node().writes().contains(r.field())).forEach(n -> writers.add(n.name()));
            problems.add(r.at(), who + " reads field '" + r.field() + "', which is not written on every path that reaches it: the path "
                    + String.join(" -> ", path) + " passes no node that writes it (written by " + quoted(writers)
                    + "); make every path pass a writer, or read it only where it is written");
        }

        /** A path from the start to {@code target} on which no node writes {@code field}. */
        private List<String> pathWithout(String field, String target, boolean throughTarget) {
            Map<String, String> parent = new HashMap<>();
            Deque<String> queue = new ArrayDeque<>();
            parent.put(start, null);
            queue.add(start);
            String found = null;
            while (!queue.isEmpty() && found == null) {
                String v = queue.poll();
                if (v.equals(target)) {
                    found = v;
                    break;
                }
                NodeDef n = nodes.get(v);
                if (n != null && n.node().writes().contains(field)) continue;
                for (EdgeDef e : g.outgoingEdgesOf(v)) {
                    if (!parent.containsKey(e.to())) {
                        parent.put(e.to(), v);
                        queue.add(e.to());
                    }
                }
            }
            List<String> path = new ArrayList<>();
            if (found == null) {
                path.add(start);
                if (!start.equals(target)) path.add(target);
                return path;
            }
            for (String x = found; x != null; x = parent.get(x)) path.add(0, x);
            // For a condition the path ends at the edge's source; the message names the edge.
            return path;
        }
    }
}
