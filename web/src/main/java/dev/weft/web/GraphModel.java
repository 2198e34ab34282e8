package dev.weft.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.workflow.Problems;
import dev.weft.yaml.YamlReader;
import dev.weft.yaml.YamlValue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A workflow's graph as written in its YAML (nodes, edges, conditions, loop bounds, judge
 * fields), read leniently so that a workflow with errors still has a picture, and laid out in
 * layers for drawing: records flow top to bottom, loop edges go back up on the right. Immutable.
 */
final class GraphModel {
    static final String START = "START";
    static final String END = "END";
    static final int NODE_W = 220;
    static final int NODE_H = 80;
    static final int TERMINAL_W = 84;
    static final int TERMINAL_H = 30;
    private static final int LAYER_GAP = 66;
    private static final int NODE_GAP = 46;
    private static final int MARGIN = 24;
    private static final int DUMMY_W = 16;
    private static final int LANE = 30;

    /**
     * @param field  where a judge writes its verdict
     * @param output a judge's verdict fields and their types
     * @param writes the fields a sample, transform or workflow node sets
     */
    record Node(String name, String kind, String model, String description, String field, Map<String, Object> output, List<String> writes) {}

    record Edge(String from, String to, String when, boolean otherwise, Integer max) {}

    final Map<String, Node> nodes;
    final List<Edge> edges;
    final String start;

    private GraphModel(Map<String, Node> nodes, List<Edge> edges, String start) {
        this.nodes = nodes;
        this.edges = edges;
        this.start = start;
    }

    static GraphModel fromYaml(String text, String label) {
        Map<String, Node> nodes = new LinkedHashMap<>();
        List<Edge> edges = new ArrayList<>();
        Optional<YamlValue> parsed = text == null ? Optional.empty() : new YamlReader().read(text, label, new Problems());
        if (parsed.isPresent() && parsed.get() instanceof YamlValue.Mapping top) {
            if (top.get("nodes") instanceof YamlValue.Mapping m) {
                m.entries().forEach((name, v) -> {
                    if (!(v instanceof YamlValue.Mapping cfg)) {
                        nodes.put(name, new Node(name, "?", null, null, null, null, List.of()));
                        return;
                    }
                    String kind = str(cfg.get("kind"));
                    Map<String, Object> output = null;
                    String field = null;
                    if ("judge".equals(kind)) {
                        field = Optional.ofNullable(str(cfg.get("field"))).orElse(name);
                        output = judgeFields(cfg);
                    }
                    List<String> writes = new ArrayList<>();
                    if ("sample".equals(kind) && cfg.get("attributes") instanceof YamlValue.Mapping at) writes.addAll(at.entries().keySet());
                    if ("transform".equals(kind) && cfg.get("set") instanceof YamlValue.Mapping st) writes.addAll(st.entries().keySet());
                    if ("workflow".equals(kind)) writes.addAll(cfg.get("output") instanceof YamlValue.Mapping o ? o.entries().keySet() : List.of(name));
                    nodes.put(name, new Node(name, kind == null ? "?" : kind, models(cfg), str(cfg.get("description")), field, output,
                            List.copyOf(writes)));
                });
            }
            if (top.get("edges") instanceof YamlValue.Sequence seq) {
                for (YamlValue item : seq.items()) {
                    if (item instanceof YamlValue.Scalar s) {
                        String[] parts = s.text().split("->");
                        for (int i = 0; i + 1 < parts.length; i++) {
                            String a = parts[i].trim();
                            String b = parts[i + 1].trim();
                            if (!a.isEmpty() && !b.isEmpty()) edges.add(new Edge(a, b, null, false, null));
                        }
                    } else if (item instanceof YamlValue.Mapping m) {
                        String from = str(m.get("from"));
                        String to = str(m.get("to"));
                        if (from == null || to == null) continue;
                        Integer max = m.get("max") instanceof YamlValue.Scalar x && x.type() == YamlValue.ScalarType.INTEGER
                                ? ((Number) x.toPlain()).intValue() : null;
                        boolean otherwise = m.get("otherwise") instanceof YamlValue.Scalar o && "true".equalsIgnoreCase(o.text());
                        edges.add(new Edge(from, to, str(m.get("when")), otherwise, max));
                    }
                }
            }
        }
        String start = edges.stream().filter(e -> e.from().equals(START)).map(Edge::to).findFirst()
                .orElse(nodes.isEmpty() ? null : nodes.keySet().iterator().next());
        return new GraphModel(nodes, edges, start);
    }

    /**
     * A judge's verdict fields that have a distribution, by their path under the judge's field:
     * {@code score} mode: its {@code output} (default score 1..10 and a reason); {@code aspects}:
     * {@code ASPECT.score} on the scale; {@code pairwise}: the winner.
     */
    private static Map<String, Object> judgeFields(YamlValue.Mapping cfg) {
        Map<String, Object> out = new LinkedHashMap<>();
        String mode = Optional.ofNullable(str(cfg.get("mode"))).orElse("score");
        switch (mode) {
            case "aspects" -> {
                String scale = Optional.ofNullable(str(cfg.get("scale"))).orElse("1..10");
                if (cfg.get("aspects") instanceof YamlValue.Mapping aspects) {
                    for (String a : aspects.entries().keySet()) out.put(a + ".score", "integer " + scale);
                }
            }
            case "pairwise" -> out.put("winner", List.of("a", "b", "tie"));
            default -> {
                if (cfg.get("output") instanceof YamlValue.Mapping o) {
                    for (var e : o.entries().entrySet()) out.put(e.getKey(), e.getValue().toPlain());
                } else {
                    out.put("score", "integer 1..10");
                    out.put("reason", "string");
                }
            }
        }
        return out;
    }

    /** The model profile(s) a node uses: `model`, `models: [...]`, or its conversation roles' models. */
    private static String models(YamlValue.Mapping cfg) {
        if (str(cfg.get("model")) != null) return str(cfg.get("model"));
        List<String> names = new ArrayList<>();
        if (cfg.get("models") instanceof YamlValue.Sequence seq) {
            for (YamlValue v : seq.items()) if (str(v) != null) names.add(str(v));
        }
        if (cfg.get("roles") instanceof YamlValue.Mapping roles) {
            for (YamlValue r : roles.entries().values()) {
                if (r instanceof YamlValue.Mapping rm && str(rm.get("model")) != null && !names.contains(str(rm.get("model")))) {
                    names.add(str(rm.get("model")));
                }
            }
        }
        return names.isEmpty() ? null : String.join(", ", names);
    }

    private static String str(YamlValue v) {
        return v instanceof YamlValue.Scalar s && s.type() != YamlValue.ScalarType.NULL ? s.text() : null;
    }

    /** The edge a record took from {@code from} to {@code to}: the first one written, or null. */
    Edge edge(String from, String to) {
        for (Edge e : edges) if (e.from().equals(from) && e.to().equals(to)) return e;
        return null;
    }

    // ---- layout

    /** The graph with positions: {width, height, nodes: [...], edges: [...]}, for an SVG. */
    ObjectNode layout() {
        // Vertices: START, the nodes in the order written, END; names edges use but no node declares are shown too.
        List<String> vertices = new ArrayList<>();
        vertices.add(START);
        vertices.addAll(nodes.keySet());
        for (Edge e : edges) {
            for (String v : List.of(e.from(), e.to())) if (!vertices.contains(v) && !v.equals(END)) vertices.add(v);
        }
        vertices.add(END);
        List<Edge> all = new ArrayList<>();
        boolean explicitStart = edges.stream().anyMatch(e -> e.from().equals(START));
        if (!explicitStart && start != null) all.add(new Edge(START, start, null, false, null));
        all.addAll(edges);
        Map<String, List<Edge>> out = new HashMap<>();
        for (Edge e : all) out.computeIfAbsent(e.from(), k -> new ArrayList<>()).add(e);

        // Back edges by depth-first search from START (then from anything left), in the order edges are written.
        Set<Edge> back = new HashSet<>();
        Map<String, Integer> state = new HashMap<>();
        List<String> discovery = new ArrayList<>();
        for (String root : vertices) {
            if (state.containsKey(root)) continue;
            Deque<Object[]> stack = new ArrayDeque<>();
            stack.push(new Object[] {root, 0});
            state.put(root, 1);
            discovery.add(root);
            while (!stack.isEmpty()) {
                Object[] top = stack.peek();
                String v = (String) top[0];
                List<Edge> es = out.getOrDefault(v, List.of());
                int i = (Integer) top[1];
                if (i >= es.size()) {
                    state.put(v, 2);
                    stack.pop();
                    continue;
                }
                top[1] = i + 1;
                Edge e = es.get(i);
                Integer s = state.get(e.to());
                if (s == null) {
                    state.put(e.to(), 1);
                    discovery.add(e.to());
                    stack.push(new Object[] {e.to(), 0});
                } else if (s == 1) {
                    back.add(e);
                }
            }
        }

        // Layers: longest path over the forward edges; END below everything.
        Map<String, Integer> layer = new HashMap<>();
        for (String v : vertices) layer.put(v, 0);
        for (int pass = 0; pass < vertices.size(); pass++) {
            boolean changed = false;
            for (Edge e : all) {
                if (back.contains(e) || e.from().equals(e.to())) continue;
                int want = layer.get(e.from()) + 1;
                if (layer.get(e.to()) < want) {
                    layer.put(e.to(), want);
                    changed = true;
                }
            }
            if (!changed) break;
        }
        int maxLayer = 0;
        for (String v : vertices) if (!v.equals(END)) maxLayer = Math.max(maxLayer, layer.get(v));
        boolean endUsed = all.stream().anyMatch(e -> e.to().equals(END));
        if (endUsed) layer.put(END, maxLayer + 1);
        else vertices.remove(END);

        // Dummy vertices on forward edges that span layers, so that ordering keeps them apart from nodes.
        record Seg(String from, String to) {}
        Map<Edge, List<String>> chains = new LinkedHashMap<>();
        Map<String, Integer> dummyLayer = new HashMap<>();
        List<Seg> segs = new ArrayList<>();
        int dummies = 0;
        for (Edge e : all) {
            if (back.contains(e) || e.from().equals(e.to())) continue;
            List<String> chain = new ArrayList<>();
            chain.add(e.from());
            for (int l = layer.get(e.from()) + 1; l < layer.get(e.to()); l++) {
                String d = "\u0000d" + (dummies++);
                dummyLayer.put(d, l);
                chain.add(d);
            }
            chain.add(e.to());
            chains.put(e, chain);
            for (int i = 0; i + 1 < chain.size(); i++) segs.add(new Seg(chain.get(i), chain.get(i + 1)));
        }
        int layers = (endUsed ? maxLayer + 2 : maxLayer + 1);
        List<List<String>> rows = new ArrayList<>();
        for (int l = 0; l < layers; l++) rows.add(new ArrayList<>());
        for (String v : discovery) if (vertices.contains(v)) rows.get(layer.get(v)).add(v);
        for (String v : vertices) if (!discovery.contains(v)) rows.get(layer.get(v)).add(v);
        dummyLayer.forEach((d, l) -> rows.get(l).add(d));
        rows.forEach(r -> r.sort((a, b) -> Integer.compare(order(a, discovery), order(b, discovery))));

        // Order within layers: barycentre sweeps down and up.
        Map<String, List<String>> preds = new HashMap<>();
        Map<String, List<String>> succs = new HashMap<>();
        for (Seg s : segs) {
            succs.computeIfAbsent(s.from(), k -> new ArrayList<>()).add(s.to());
            preds.computeIfAbsent(s.to(), k -> new ArrayList<>()).add(s.from());
        }
        for (int sweep = 0; sweep < 6; sweep++) {
            boolean down = sweep % 2 == 0;
            for (int l = down ? 1 : layers - 2; down ? l < layers : l >= 0; l += down ? 1 : -1) {
                List<String> adj = rows.get(down ? l - 1 : l + 1);
                Map<String, Double> bary = new HashMap<>();
                List<String> row = rows.get(l);
                for (int i = 0; i < row.size(); i++) {
                    List<String> ns = (down ? preds : succs).getOrDefault(row.get(i), List.of());
                    double sum = 0;
                    int n = 0;
                    for (String x : ns) {
                        int idx = adj.indexOf(x);
                        if (idx >= 0) {
                            sum += idx;
                            n++;
                        }
                    }
                    bary.put(row.get(i), n == 0 ? i : sum / n);
                }
                row.sort((a, b) -> Double.compare(bary.get(a), bary.get(b)));
            }
        }

        // Coordinates: each layer centred; a layer's height is its tallest vertex.
        Map<String, double[]> box = new HashMap<>(); // x, y, w, h (x, y: top-left)
        double width = 0;
        double[] rowWidth = new double[layers];
        for (int l = 0; l < layers; l++) {
            double w = 0;
            for (String v : rows.get(l)) w += widthOf(v) + NODE_GAP;
            rowWidth[l] = Math.max(0, w - NODE_GAP);
            width = Math.max(width, rowWidth[l]);
        }
        double y = MARGIN;
        for (int l = 0; l < layers; l++) {
            double h = 0;
            for (String v : rows.get(l)) h = Math.max(h, heightOf(v));
            double x = MARGIN + (width - rowWidth[l]) / 2;
            for (String v : rows.get(l)) {
                double w = widthOf(v);
                double vh = heightOf(v);
                box.put(v, new double[] {x, y + (h - vh) / 2, w, vh});
                x += w + NODE_GAP;
            }
            y += h + LAYER_GAP;
        }
        // Loop edges run in lanes beside the layers: on the left for a source left of the middle, else on the right.
        List<Edge> loopsLeft = new ArrayList<>();
        List<Edge> loopsRight = new ArrayList<>();
        double middle = MARGIN + width / 2;
        for (Edge e : all) {
            if (!back.contains(e) && !e.from().equals(e.to())) continue;
            double[] a = box.get(e.from());
            if (a == null || box.get(e.to()) == null) continue;
            if (!e.from().equals(e.to()) && a[0] + a[2] / 2 < middle) loopsLeft.add(e);
            else loopsRight.add(e);
        }
        boolean leftLabels = loopsLeft.stream().anyMatch(e -> e.when() != null || e.otherwise() || e.max() != null);
        double shift = loopsLeft.isEmpty() ? 0 : loopsLeft.size() * LANE + 16 + (leftLabels ? 150 : 0);
        for (double[] b : box.values()) b[0] += shift;
        boolean rightLabels = loopsRight.stream().anyMatch(e -> e.when() != null || e.otherwise() || e.max() != null);
        double totalWidth = shift + MARGIN + width + MARGIN + (loopsRight.isEmpty() ? 0 : loopsRight.size() * LANE + 16 + (rightLabels ? 150 : 0));

        ObjectNode g = Json.obj();
        ArrayNode ns = g.putArray("nodes");
        for (String v : vertices) {
            double[] b = box.get(v);
            ObjectNode n = ns.addObject();
            n.put("id", v);
            boolean terminal = v.equals(START) || v.equals(END);
            Node def = nodes.get(v);
            n.put("kind", terminal ? "terminal" : def == null ? "?" : def.kind());
            if (def != null && def.model() != null) n.put("model", def.model());
            if (def != null && def.description() != null) n.put("description", def.description());
            n.put("declared", terminal || def != null);
            n.put("x", b[0]).put("y", b[1]).put("w", b[2]).put("h", b[3]);
        }
        ArrayNode es = g.putArray("edges");
        for (Edge e : all) {
            ObjectNode j = es.addObject();
            j.put("from", e.from()).put("to", e.to());
            if (e.when() != null) j.put("when", e.when());
            if (e.otherwise()) j.put("otherwise", true);
            if (e.max() != null) j.put("max", e.max());
            double[] a = box.get(e.from());
            double[] b = box.get(e.to());
            ArrayNode pts = j.putArray("points");
            if (a == null || b == null) continue;
            int left = loopsLeft.indexOf(e);
            int right = loopsRight.indexOf(e);
            if (left >= 0 || right >= 0) {
                double ya = a[1] + a[3] / 2;
                double yb = b[1] + b[3] / 2;
                if (e.from().equals(e.to())) {
                    ya = a[1] + a[3] * 0.3;
                    yb = a[1] + a[3] * 0.7;
                }
                double lane;
                double xa;
                double xb;
                if (left >= 0) {
                    lane = shift + MARGIN - 16 - left * LANE;
                    xa = a[0];
                    xb = b[0];
                    j.putArray("label").add(lane - 6).add((ya + yb) / 2);
                    j.put("anchor", "end");
                } else {
                    lane = shift + MARGIN + width + 16 + right * LANE;
                    xa = a[0] + a[2];
                    xb = b[0] + b[2];
                    j.putArray("label").add(lane + 6).add((ya + yb) / 2);
                    j.put("anchor", "start");
                }
                pts.addArray().add(xa).add(ya);
                pts.addArray().add(lane).add(ya);
                pts.addArray().add(lane).add(yb);
                pts.addArray().add(xb).add(yb);
                j.put("back", true);
            } else {
                List<String> chain = chains.get(e);
                pts.addArray().add(a[0] + a[2] / 2).add(a[1] + a[3]);
                for (int i = 1; i + 1 < chain.size(); i++) {
                    double[] d = box.get(chain.get(i));
                    pts.addArray().add(d[0] + d[2] / 2).add(d[1]);
                    pts.addArray().add(d[0] + d[2] / 2).add(d[1] + d[3]);
                }
                pts.addArray().add(b[0] + b[2] / 2).add(b[1]);
                // on the curve, halfway along its first stretch
                double x1 = pts.get(0).get(0).asDouble();
                double y1 = pts.get(0).get(1).asDouble();
                double x2 = pts.get(1).get(0).asDouble();
                double y2 = pts.get(1).get(1).asDouble();
                j.putArray("label").add((x1 + x2) / 2).add((y1 + y2) / 2);
                j.put("anchor", "middle");
            }
        }
        g.put("width", Math.ceil(totalWidth));
        g.put("height", Math.ceil(y - LAYER_GAP + MARGIN));
        return g;
    }

    private static int order(String v, List<String> discovery) {
        int i = discovery.indexOf(v);
        return i < 0 ? Integer.MAX_VALUE : i;
    }

    private static double widthOf(String v) {
        if (v.startsWith("\u0000")) return DUMMY_W;
        return v.equals(START) || v.equals(END) ? TERMINAL_W : NODE_W;
    }

    private static double heightOf(String v) {
        if (v.startsWith("\u0000")) return 10;
        return v.equals(START) || v.equals(END) ? TERMINAL_H : NODE_H;
    }
}
