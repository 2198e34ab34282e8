package dev.weft.web;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.WeftException;
import dev.weft.report.QualityReport;
import dev.weft.run.StoredWorkflow;
import dev.weft.store.CacheEntry;
import dev.weft.store.Counters;
import dev.weft.store.Reason;
import dev.weft.store.RecordPath;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.RunQueries;
import dev.weft.store.RunRow;
import dev.weft.store.RunStatus;
import dev.weft.store.StepRow;
import dev.weft.store.Store;
import dev.weft.workflow.InvalidWorkflowException;
import dev.weft.workflow.Overrides;
import dev.weft.workflow.Problem;
import dev.weft.workflow.Workflow;
import dev.weft.workflow.WorkflowLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the pages show, as JSON: runs, a run's figures, graph, scores and records, a record's
 * trace, and the workflows. Reads the store through {@link RunQueries}; adds the live in-flight
 * counts of runs this server runs. Heavier figures are shared between viewers for a moment
 * (a second for node figures, a few seconds for score distributions) and kept once a run ended.
 * Never answers an API key: runs keep none, and the environment is not part of any answer.
 * Thread-safe.
 */
final class Dashboard {
    private static final Pattern RANGE = Pattern.compile("(integer|number)\\s+(-?[0-9.]+)\\s*\\.\\.\\s*(-?[0-9.]+)");
    private static final int MAX_PAGE = 200;
    final Store store;
    final RunQueries queries;
    final Folders folders;
    final Launcher launcher;
    private final Supplier<WorkflowLoader> loaders;
    private final Map<String, Cached> nodeCache = new ConcurrentHashMap<>();
    private final Map<String, Cached> scoreCache = new ConcurrentHashMap<>();
    private final Map<String, Cached> qualityCache = new ConcurrentHashMap<>();
    private final Map<String, GraphModel> graphs = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, GraphModel> e) {
            return size() > 64;
        }
    });

    private record Cached(long atNanos, String version, JsonNode value) {}

    Dashboard(Store store, Folders folders, Launcher launcher, Supplier<WorkflowLoader> loaders) {
        this.store = store;
        this.queries = new RunQueries(store);
        this.folders = folders;
        this.launcher = launcher;
        this.loaders = loaders;
    }

    RunRow run(String id) {
        return store.run(id).orElseThrow(() -> ApiException.notFound("no run " + id));
    }

    /** A run has ended when nothing runs it any more (completed, failed, interrupted, or its process is gone). */
    boolean ended(RunRow r) {
        return launcher.active(r.id()).isEmpty() && (r.status() != RunStatus.RUNNING || r.orphaned());
    }

    // ---- runs

    ObjectNode runJson(RunRow r) {
        ObjectNode j = Json.obj();
        Counters c = r.counters();
        boolean live = launcher.active(r.id()).isPresent();
        boolean ended = ended(r);
        j.put("id", r.id());
        j.put("workflow", r.workflowName());
        j.put("workflow_path", r.workflowPath());
        j.put("workflow_display", folders.display(Path.of(r.workflowPath())));
        j.put("status", live && r.status() != RunStatus.RUNNING ? "running" : r.statusLabel());
        j.put("ended", ended);
        j.put("simulated", r.simulated());
        j.put("created_at", r.createdAt());
        j.put("updated_at", r.updatedAt());
        if (r.finishedAt() != null) j.put("finished_at", r.finishedAt());
        long end = r.finishedAt() != null ? r.finishedAt() : ended ? r.updatedAt() : System.currentTimeMillis();
        j.put("duration_ms", Math.max(0, end - r.createdAt()));
        if (r.message() != null) j.put("message", r.orphaned() ? "the process running it is gone; resume it" : r.message());
        else if (r.orphaned()) j.put("message", "the process running it is gone; resume it");
        if (r.total() != null) j.put("total", r.total());
        j.put("done", c.done()).put("failed", c.failed()).put("filtered", c.filtered()).put("finished", c.finished());
        j.put("steps", c.steps()).put("calls", c.calls()).put("cache_hits", c.cacheHits()).put("retries", c.retries());
        j.put("tokens_in", c.tokensIn()).put("tokens_out", c.tokensOut()).put("cost", c.cost());
        if (r.outputPath() != null) j.put("output_path", folders.display(Path.of(r.outputPath())));
        j.put("live", live);
        j.put("owner", r.owner());
        j.set("options", options(r.options()));
        j.put("can_resume", r.status() != RunStatus.COMPLETED && !live && !r.runningElsewhere()
                && folders.contains(Path.of(r.workflowPath())));
        j.put("can_cancel", live);
        return j;
    }

    /** The options a run was started with; only what `weft run` was told (no environment, no keys). */
    private static ObjectNode options(String stored) {
        ObjectNode o = Json.obj();
        JsonNode n = Json.parseOrText(stored);
        if (!n.isObject()) return o;
        for (String k : List.of("concurrency", "limit", "cache_mode", "simulate", "set", "model")) if (n.has(k)) o.set(k, n.get(k));
        return o;
    }

    ObjectNode runs(String workflow, String status, int limit, int offset) {
        ObjectNode j = Json.obj();
        ArrayNode list = j.putArray("runs");
        for (RunRow r : queries.runs(blank(workflow), blank(status), clamp(limit, 1, 500), Math.max(0, offset))) list.add(runJson(r));
        j.put("total", queries.countRuns(blank(workflow), blank(status)));
        ArrayNode names = j.putArray("workflows");
        queries.workflowNames().forEach(names::add);
        return j;
    }

    /** The run, its node figures and why records failed or were filtered: what the run page's live parts show. */
    ObjectNode runState(String id) {
        RunRow r = run(id);
        ObjectNode j = Json.obj();
        j.set("run", runJson(r));
        j.set("nodes", nodes(r));
        ObjectNode reasons = j.putObject("reasons");
        reasons.set("failed", reasons(id, RecordStatus.FAILED));
        reasons.set("filtered", reasons(id, RecordStatus.FILTERED));
        return j;
    }

    private ArrayNode reasons(String id, RecordStatus s) {
        ArrayNode a = Json.arr();
        for (Reason r : store.reasons(id, s, 8)) {
            ObjectNode x = a.addObject();
            x.put("text", r.text() == null ? "(no reason given)" : clip(r.text(), 500));
            x.put("count", r.count());
            x.put("example", r.exampleRecordId());
            x.put("node", r.node());
        }
        return a;
    }

    /** Per-node figures, with the records inside each node now when this server runs the run. */
    ArrayNode nodes(RunRow r) {
        String version = r.counters().steps() + "/" + r.updatedAt() + "/" + r.status();
        Cached c = nodeCache.get(r.id());
        JsonNode figures;
        if (c != null && (c.version().equals(version) || (!ended(r) && System.nanoTime() - c.atNanos() < 1_000_000_000L))) {
            figures = c.value();
        } else {
            ArrayNode a = Json.arr();
            for (RunQueries.NodeFigures f : queries.nodeFigures(r.id())) {
                ObjectNode n = a.addObject();
                n.put("node", f.node()).put("kind", f.kind()).put("visits", f.visits()).put("calls", f.calls())
                        .put("cache_hits", f.cacheHits()).put("retries", f.retries()).put("errors", f.errors())
                        .put("failed", f.failedRecords()).put("filtered", f.filteredRecords())
                        .put("mean_ms", Math.round(f.meanMillis() * 10) / 10.0).put("p95_ms", f.p95Millis()).put("max_ms", f.maxMillis())
                        .put("tokens_in", f.tokensIn()).put("tokens_out", f.tokensOut()).put("cost", f.cost());
            }
            figures = a;
            nodeCache.put(r.id(), new Cached(System.nanoTime(), version, a));
        }
        ArrayNode out = figures.deepCopy();
        Map<String, Integer> inFlight = launcher.active(r.id()).map(a -> a.inFlight.snapshot()).orElse(Map.of());
        Set<String> seen = new LinkedHashSet<>();
        for (JsonNode n : out) {
            String name = n.get("node").asText();
            seen.add(name);
            if (launcher.active(r.id()).isPresent()) ((ObjectNode) n).put("in_flight", inFlight.getOrDefault(name, 0));
        }
        inFlight.forEach((name, count) -> {
            if (!seen.contains(name)) {
                ObjectNode n = out.addObject();
                n.put("node", name).put("visits", 0).put("in_flight", count);
            }
        });
        return out;
    }

    GraphModel graphOf(RunRow r) {
        GraphModel g = graphs.get(r.id());
        if (g != null) return g;
        RunRow full = r.bundle() != null ? r : run(r.id());
        Map<String, String> bundle = bundle(full);
        g = GraphModel.fromYaml(bundle.get(full.workflowPath()), full.workflowPath());
        graphs.put(r.id(), g);
        return g;
    }

    private static Map<String, String> bundle(RunRow r) {
        try {
            return Json.M.readValue(r.bundle(), new TypeReference<Map<String, String>>() {});
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    ObjectNode graph(String id) {
        return graphOf(run(id)).layout();
    }

    // ---- scores and progress

    /** Distributions of every judge verdict field that is a number, a boolean or one of listed values. */
    ObjectNode scores(String id) {
        RunRow r = run(id);
        String version = r.counters().finished() + "/" + r.status();
        Cached c = scoreCache.get(id);
        if (c != null && (c.version().equals(version) || (!ended(r) && System.nanoTime() - c.atNanos() < 4_000_000_000L))) {
            return (ObjectNode) c.value();
        }
        ObjectNode j = Json.obj();
        ArrayNode list = j.putArray("fields");
        for (GraphModel.Node n : graphOf(r).nodes.values()) {
            if (n.output() == null || n.field() == null || !n.field().matches("[A-Za-z_][A-Za-z0-9_]*")) continue;
            for (Map.Entry<String, Object> e : n.output().entrySet()) {
                String key = e.getKey();
                if (!key.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*")) continue;
                Object type = e.getValue();
                // Lists ("[string] 3..5", [{...}]) and nested objects have no distribution worth drawing.
                if (type instanceof Map<?, ?> || (type instanceof List<?> l && l.stream().anyMatch(x -> x instanceof Map<?, ?> || x instanceof List<?>))
                        || (type instanceof String text && text.trim().startsWith("["))) continue;
                String t = type instanceof List<?> ? "choice" : String.valueOf(type).trim();
                if (t.equals("string")) continue;
                ObjectNode f = list.addObject();
                f.put("node", n.name()).put("field", n.field() + "." + key).put("type", t);
                List<RunQueries.ValueCount> counts = queries.valueCounts(id, n.field() + "." + key, 1000);
                ArrayNode values = f.putArray("values");
                long missing = 0;
                double sum = 0;
                long numeric = 0;
                Map<String, Long> byValue = new LinkedHashMap<>();
                for (RunQueries.ValueCount v : counts) {
                    if (v.value() == null || v.value().equals("null")) {
                        missing += v.count();
                        continue;
                    }
                    JsonNode val = Json.parseOrText(v.value());
                    if (val.isNumber()) {
                        sum += val.asDouble() * v.count();
                        numeric += v.count();
                    }
                    byValue.merge(val.isTextual() ? val.asText() : val.toString(), v.count(), Long::sum);
                }
                Matcher m = RANGE.matcher(t);
                if (t.startsWith("integer") && m.matches() && Double.parseDouble(m.group(3)) - Double.parseDouble(m.group(2)) <= 100) {
                    // every value of the range, so that an empty bar shows as empty
                    for (long x = (long) Double.parseDouble(m.group(2)); x <= (long) Double.parseDouble(m.group(3)); x++) {
                        values.addObject().put("value", Long.toString(x)).put("count", byValue.getOrDefault(Long.toString(x), 0L));
                        byValue.remove(Long.toString(x));
                    }
                } else if (type instanceof List<?> allowed) {
                    for (Object a : allowed) values.addObject().put("value", String.valueOf(a)).put("count", byValue.getOrDefault(String.valueOf(a), 0L));
                    allowed.forEach(a -> byValue.remove(String.valueOf(a)));
                } else if (t.startsWith("number") && byValue.size() > 12) {
                    bin(byValue, values);
                    byValue.clear();
                }
                byValue.forEach((k, v) -> values.addObject().put("value", k).put("count", v));
                f.put("missing", missing);
                if (numeric > 0) f.put("mean", Math.round(sum / numeric * 100) / 100.0);
                f.put("count", numeric);
            }
        }
        scoreCache.put(id, new Cached(System.nanoTime(), version, j));
        return j;
    }

    private static void bin(Map<String, Long> byValue, ArrayNode values) {
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        for (String k : byValue.keySet()) {
            double d = Double.parseDouble(k);
            lo = Math.min(lo, d);
            hi = Math.max(hi, d);
        }
        int bins = 10;
        double w = (hi - lo) / bins;
        long[] counts = new long[bins];
        for (var e : byValue.entrySet()) {
            int b = w == 0 ? 0 : (int) Math.min(bins - 1, Math.floor((Double.parseDouble(e.getKey()) - lo) / w));
            counts[b] += e.getValue();
        }
        for (int i = 0; i < bins; i++) {
            values.addObject().put("value", String.format(java.util.Locale.ROOT, "%.2f–%.2f", lo + i * w, lo + (i + 1) * w)).put("count", counts[i]);
        }
    }

    /**
     * The run's quality report (as `weft show RUN --quality --json`): judge distributions, length and
     * distinct-n diversity of every generated text, filter and failure rates. Reads every done record,
     * so pages ask for it on demand; kept while the run's counts do not change.
     */
    ObjectNode quality(String id) {
        RunRow r = run(id);
        String version = r.counters().finished() + "/" + r.status();
        Cached c = qualityCache.get(id);
        if (c != null && c.version().equals(version)) return (ObjectNode) c.value();
        Workflow wf;
        try {
            JsonNode opts = Json.parseOrText(r.options());
            List<String> sets = new ArrayList<>();
            List<String> models = new ArrayList<>();
            opts.path("set").forEach(x -> sets.add(x.asText()));
            opts.path("model").forEach(x -> models.add(x.asText()));
            wf = StoredWorkflow.load(loaders.get(), r, new Overrides(sets, models));
        } catch (WeftException e) {
            throw new ApiException(409, "cannot read the workflow of run " + id + " to measure it: " + e.getMessage());
        }
        ObjectNode j = QualityReport.of(store, id, wf, r.counters()).json();
        qualityCache.put(id, new Cached(System.nanoTime(), version, j));
        return j;
    }

    ObjectNode progress(String id) {
        RunRow r = run(id);
        ObjectNode j = Json.obj();
        j.put("start", r.createdAt());
        if (r.total() != null) j.put("total", r.total());
        ArrayNode b = j.putArray("buckets");
        for (RunQueries.ProgressBucket p : queries.progress(id, r.createdAt(), 60)) {
            b.addObject().put("t", p.startMillis()).put("done", p.done()).put("failed", p.failed()).put("filtered", p.filtered());
        }
        return j;
    }

    // ---- records

    ObjectNode records(String id, String status, String node, String text, String after, int limit) {
        return records(id, status, node, text, null, after, limit);
    }

    /**
     * A page of records in record order (a source record's children right after it); with
     * {@code recordId}, just the record with that id (exact). {@code after} is a cursor: a source
     * position (-1 for the start), or {@code N/0/2} inside a source record's children.
     */
    ObjectNode records(String id, String status, String node, String text, String recordId, String after, int limit) {
        RunRow r = run(id);
        RunQueries.Cursor cursor = after == null || after.isBlank() ? RunQueries.Cursor.START : RunQueries.Cursor.parse(after);
        if (cursor == null) throw ApiException.bad("`after` is a record position such as 17 or 17/0/2 (the `next` of a page), not '" + after + "'");
        RunQueries.RecordPage page;
        if (blank(recordId) != null) {
            List<RunQueries.RecordSummary> one = queries.keyOf(id, recordId).flatMap(k -> queries.summary(id, k)).stream().toList();
            page = new RunQueries.RecordPage(one, null, -1, true);
        } else {
            RecordStatus s = null;
            if (blank(status) != null) {
                try {
                    s = RecordStatus.parse(status);
                } catch (IllegalArgumentException e) {
                    throw ApiException.bad("status is done, failed, filtered or exploded, not '" + status + "'");
                }
            }
            page = queries.records(id, new RunQueries.RecordFilter(s, blank(node), blank(text)), cursor, clamp(limit, 1, MAX_PAGE), 350);
        }
        ObjectNode j = Json.obj();
        ArrayNode list = j.putArray("records");
        for (RunQueries.RecordSummary x : page.records()) {
            ObjectNode o = list.addObject();
            o.put("seq", x.seq()).put("key", x.key().toString()).put("id", x.recordId()).put("status", x.status().label());
            if (!x.path().isEmpty()) o.put("path", RecordPath.shown(x.path())).put("depth", RecordPath.indexes(x.path()).size());
            if (x.children() != null) o.put("children", x.children());
            if (x.node() != null) o.put("node", x.node());
            if (x.error() != null) o.put("error", x.error());
            o.put("updated_at", x.updatedAt()).put("steps", x.steps()).put("calls", x.calls()).put("cache_hits", x.cacheHits())
                    .put("tokens", x.tokens()).put("cost", x.cost()).put("millis", x.millis());
        }
        if (page.next() != null) j.set("next", Json.M.valueToTree(page.next().json()));
        j.put("scanned_to", page.scannedTo());
        j.put("complete", page.complete());
        Counters c = r.counters();
        j.put("settled", c.finished());
        return j;
    }

    /** A source record's trace. */
    ObjectNode record(String id, long seq) {
        return record(id, new RunQueries.RecordKey(seq, RecordPath.ROOT));
    }

    /** A record's trace: every node visit in order with its prompts, answers, verdicts, cache use, tokens, cost and the edge taken; and its lineage. */
    ObjectNode record(String id, RunQueries.RecordKey key) {
        RunRow r = run(id);
        GraphModel g = graphOf(r);
        Optional<RecordRow> row = queries.record(id, key);
        List<StepRow> steps = walk(queries.steps(id, key), g);
        if (row.isEmpty() && steps.isEmpty()) throw ApiException.notFound("run " + id + " has no record #" + key + " (yet)");
        ObjectNode j = Json.obj();
        ObjectNode run = j.putObject("run");
        run.put("id", r.id()).put("workflow", r.workflowName()).put("status", r.statusLabel()).put("simulated", r.simulated());
        ObjectNode rec = j.putObject("record");
        rec.put("seq", key.seq()).put("key", key.toString());
        if (!key.path().isEmpty()) rec.put("path", RecordPath.shown(key.path()));
        JsonNode state = null;
        if (row.isPresent()) {
            RecordRow x = row.get();
            rec.put("id", x.recordId()).put("status", x.status().label());
            if (x.error() != null) rec.put("error", x.error());
            if (x.node() != null) rec.put("node", x.node());
            if (x.children() != null) rec.put("children", x.children());
            state = Json.parseOrText(x.stateJson());
            rec.set("state", state);
        } else {
            rec.put("status", "in flight");
        }
        RunQueries.RecordKey[] near = queries.neighbours(id, key);
        if (near[0] != null) j.set("previous", keyJson(near[0]));
        if (near[1] != null) j.set("next", keyJson(near[1]));
        j.set("lineage", lineage(id, key, row.orElse(null)));

        List<String> keys = new ArrayList<>();
        steps.forEach(s -> keys.addAll(s.cacheKeys()));
        Map<String, CacheEntry> entries = queries.cacheEntries(keys);
        ArrayNode trace = j.putArray("steps");
        long tokens = 0;
        double cost = 0;
        long millis = 0;
        for (int i = 0; i < steps.size(); i++) {
            StepRow s = steps.get(i);
            ObjectNode o = trace.addObject();
            o.put("node", s.node()).put("kind", s.kind()).put("visit", s.visit()).put("started_at", s.startedAt())
                    .put("duration_ms", s.durationMillis()).put("calls", s.calls()).put("cache_hits", s.cacheHits())
                    .put("retries", s.retries()).put("tokens_in", s.tokensIn()).put("tokens_out", s.tokensOut()).put("cost", s.cost());
            if (s.error() != null) o.put("error", s.error());
            tokens += s.tokensIn() + s.tokensOut();
            cost += s.cost();
            millis += s.durationMillis();
            o.put("source", s.cacheKeys().isEmpty() ? "no model call" : s.calls() == 0 ? "cache hit" : s.cacheHits() == 0 ? "model call" : "mixed");
            ArrayNode calls = o.putArray("exchanges");
            for (int k = 0; k < s.cacheKeys().size(); k++) {
                String cacheKey = s.cacheKeys().get(k);
                ObjectNode call = calls.addObject();
                call.put("key", cacheKey);
                CacheEntry e = entries.get(cacheKey);
                boolean cached = s.calls() == 0 || (s.cacheHits() > 0 && e != null && e.createdAt() < s.startedAt());
                call.put("cached", cached);
                if (e == null) {
                    call.put("missing", true);
                    continue;
                }
                call.put("profile", e.profile()).put("provider", e.provider()).put("model", e.model());
                call.put("tokens_in", e.tokensIn()).put("tokens_out", e.tokensOut());
                JsonNode req = Json.parseOrText(e.requestJson());
                call.set("messages", req.path("messages").isArray() ? req.get("messages") : Json.arr());
                if (req.has("answer_schema")) call.set("answer_schema", req.get("answer_schema"));
                call.put("response", e.responseText());
                if ("judge".equals(s.kind())) {
                    JsonNode verdict = verdict(e.responseText());
                    if (verdict != null) call.set("verdict", verdict);
                }
            }
            GraphModel.Node def = g.nodes.get(s.node());
            if (def != null && !def.writes().isEmpty() && state != null && state.isObject()) {
                ObjectNode w = o.putObject("writes");
                for (String f : def.writes()) if (state.has(f)) w.set(f, state.get(f));
            }
            // The edge taken: towards the next visit, or how the record ended here.
            ObjectNode next = o.putObject("next");
            if (i + 1 < steps.size()) {
                String to = steps.get(i + 1).node();
                next.put("to", to);
                GraphModel.Edge e = g.edge(s.node(), to);
                if (e != null) edgeInfo(next, e);
            } else if (row.isPresent()) {
                RecordRow x = row.get();
                switch (x.status()) {
                    case DONE -> {
                        next.put("to", GraphModel.END);
                        GraphModel.Edge e = g.edge(s.node(), GraphModel.END);
                        if (e != null) edgeInfo(next, e);
                    }
                    case FILTERED -> next.put("dropped", x.error() == null ? "filtered" : x.error());
                    case FAILED -> next.put("failed", x.error() == null ? "failed" : x.error());
                    case EXPLODED -> next.put("exploded", x.children() == null ? 0 : x.children());
                }
            } else {
                next.put("pending", true);
            }
        }
        ObjectNode totals = j.putObject("totals");
        totals.put("steps", steps.size()).put("tokens", tokens).put("cost", cost).put("millis", millis);
        return j;
    }

    /** A record's key as JSON: the source position as a number for a source record (as before children existed), else {@code "N/0/2"}. */
    private static JsonNode keyJson(RunQueries.RecordKey k) {
        return k.path().isEmpty() ? Json.M.valueToTree(k.seq()) : Json.M.valueToTree(k.toString());
    }

    /**
     * Where a record comes from and what came of it: its source position, its parent (for a child of
     * an explode) and its children (for an exploded record), each with its key, id and status.
     */
    private ObjectNode lineage(String id, RunQueries.RecordKey key, RecordRow row) {
        ObjectNode l = Json.obj();
        l.put("source_position", key.seq());
        String parentPath = RecordPath.parent(key.path());
        if (parentPath == null) {
            l.putNull("parent");
        } else {
            RunQueries.RecordKey pk = new RunQueries.RecordKey(key.seq(), parentPath);
            ObjectNode p = l.putObject("parent");
            p.put("key", pk.toString());
            queries.record(id, pk).ifPresent(pr -> p.put("id", pr.recordId()).put("status", pr.status().label()).put("node", pr.node()));
            l.put("index", RecordPath.indexes(key.path()).get(RecordPath.indexes(key.path()).size() - 1));
        }
        ArrayNode children = l.putArray("children");
        if (row != null && row.children() != null) {
            l.put("children_count", row.children());
            for (RunQueries.RecordSummary c : queries.children(id, key, MAX_PAGE)) {
                ObjectNode o = children.addObject();
                o.put("key", c.key().toString()).put("id", c.recordId()).put("status", c.status().label());
                if (c.children() != null) o.put("children", c.children());
                if (c.node() != null) o.put("node", c.node());
                if (c.error() != null) o.put("error", c.error());
            }
        }
        return l;
    }

    /**
     * A record's steps in the order it walked them. The store orders them by start time, but steps of
     * a fast run can start in the same millisecond; then the order is the one walk through the graph
     * that uses every step: along edges, each node's visits in turn, start times never going back.
     * Falls back to the stored order if no such walk is found quickly.
     */
    static List<StepRow> walk(List<StepRow> steps, GraphModel g) {
        Set<Long> times = new java.util.HashSet<>();
        boolean ties = false;
        for (StepRow s : steps) ties |= !times.add(s.startedAt());
        if (!ties || g.start == null) return steps;
        List<StepRow> path = new ArrayList<>();
        int[] budget = {20_000};
        return extend(steps, g, path, new boolean[steps.size()], new java.util.HashMap<>(), null, Long.MIN_VALUE, budget) ? path : steps;
    }

    private static boolean extend(List<StepRow> steps, GraphModel g, List<StepRow> path, boolean[] used, Map<String, Integer> visits,
                                  String at, long time, int[] budget) {
        if (path.size() == steps.size()) return true;
        if (--budget[0] < 0) return false;
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            StepRow s = steps.get(i);
            if (used[i] || s.startedAt() < time || s.visit() != visits.getOrDefault(s.node(), 0)) continue;
            boolean follows = at == null ? s.node().equals(g.start) : g.edge(at, s.node()) != null;
            if (follows) candidates.add(i);
        }
        candidates.sort((a, b) -> Long.compare(steps.get(a).startedAt(), steps.get(b).startedAt()));
        for (int i : candidates) {
            StepRow s = steps.get(i);
            used[i] = true;
            path.add(s);
            visits.merge(s.node(), 1, Integer::sum);
            if (extend(steps, g, path, used, visits, s.node(), s.startedAt(), budget)) return true;
            visits.merge(s.node(), -1, Integer::sum);
            path.remove(path.size() - 1);
            used[i] = false;
        }
        return false;
    }

    private static void edgeInfo(ObjectNode next, GraphModel.Edge e) {
        if (e.when() != null) next.put("when", e.when());
        if (e.otherwise()) next.put("otherwise", true);
        if (e.max() != null) next.put("max", e.max());
    }

    /** A judge's answer as JSON: the whole text, or the outermost {...} inside it. */
    static JsonNode verdict(String text) {
        if (text == null) return null;
        JsonNode n = Json.parseOrText(text.trim());
        if (n.isObject()) return n;
        int a = text.indexOf('{');
        int b = text.lastIndexOf('}');
        if (a >= 0 && b > a) {
            n = Json.parseOrText(text.substring(a, b + 1));
            if (n.isObject()) return n;
        }
        return null;
    }

    // ---- workflows

    ObjectNode workflows() {
        ObjectNode j = Json.obj();
        ArrayNode roots = j.putArray("folders");
        folders.roots().forEach(p -> roots.add(p.toString()));
        ArrayNode list = j.putArray("workflows");
        Map<String, RunQueries.WorkflowRef> byPath = new LinkedHashMap<>();
        for (RunQueries.WorkflowRef w : queries.workflowFiles()) byPath.put(w.path(), w);
        Set<String> listed = new LinkedHashSet<>();
        for (Path p : folders.workflowFiles()) {
            String abs = p.toString();
            listed.add(abs);
            ObjectNode o = list.addObject();
            o.put("path", abs).put("display", folders.display(p)).put("in_folder", true);
            o.put("name", nameOf(p));
            RunQueries.WorkflowRef w = byPath.get(abs);
            o.put("runs", w == null ? 0 : w.runs());
            if (w != null) o.put("last_run", w.lastRunId()).put("last_run_at", w.lastRunAt());
        }
        for (RunQueries.WorkflowRef w : byPath.values()) {
            if (listed.contains(w.path())) continue;
            ObjectNode o = list.addObject();
            boolean inside = folders.contains(Path.of(w.path())) && Files.isRegularFile(Path.of(w.path()));
            o.put("path", w.path()).put("display", folders.display(Path.of(w.path()))).put("in_folder", inside);
            o.put("name", w.name()).put("runs", w.runs()).put("last_run", w.lastRunId()).put("last_run_at", w.lastRunAt());
        }
        return j;
    }

    private static String nameOf(Path p) {
        try {
            Matcher m = Pattern.compile("(?m)^name\\s*:\\s*['\"]?([^'\"#\\n]*)").matcher(Files.readString(p, StandardCharsets.UTF_8));
            return m.find() ? m.group(1).trim() : p.getFileName().toString();
        } catch (IOException | RuntimeException e) {
            return p.getFileName().toString();
        }
    }

    /** A workflow file: its text, its problems at their lines, its graph, its runs, and whether a run can start from it here. */
    ObjectNode workflow(String given) {
        if (blank(given) == null) throw ApiException.bad("name a workflow with ?path=");
        ObjectNode j = Json.obj();
        String text;
        String label;
        Path file;
        try {
            file = folders.workflowFile(given);
        } catch (ApiException outsideOrMissing) {
            file = null; // then only as a past run saw it: never read from disk outside the folders
        }
        ArrayNode problems = j.putArray("problems");
        if (file != null) {
            label = file.toString();
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw ApiException.notFound("cannot read " + given + ": " + e.getMessage());
            }
            try {
                Workflow wf = loaders.get().load(file, Overrides.NONE);
                try {
                    folders.checkWorkflow(wf);
                } catch (ApiException e) {
                    problems.addObject().put("file", label).put("line", 0).put("column", 0).put("message", e.getMessage())
                            .put("text", e.getMessage());
                }
                ObjectNode src = j.putObject("source");
                if (wf.source().generate() != null) src.put("generate", wf.source().generate());
                if (wf.source().path() != null) src.put("path", folders.display(wf.source().path()));
                ArrayNode models = j.putArray("models");
                wf.models().values().forEach(m -> models.addObject().put("name", m.name()).put("provider", m.provider()).put("model", m.model()));
            } catch (InvalidWorkflowException e) {
                for (Problem pr : e.problems()) problems.add(launcher.problem(pr));
            }
            j.put("can_start", true);
        } else {
            Optional<RunRow> last = queries.latestRunOf(given);
            if (last.isEmpty()) throw ApiException.notFound("no workflow " + given + " in the served folders or in past runs");
            label = last.get().workflowPath();
            text = bundle(last.get()).get(label);
            if (text == null) throw ApiException.notFound("run " + last.get().id() + " kept no text of " + given);
            j.put("can_start", false);
            j.put("shown_from_run", last.get().id());
        }
        j.put("path", label);
        j.put("display", folders.display(Path.of(label)));
        j.put("text", text);
        GraphModel g = GraphModel.fromYaml(text, label);
        j.set("graph", g.layout());
        ArrayNode runs = j.putArray("runs");
        for (RunRow r : queries.runs(null, null, 500, 0)) {
            if (r.workflowPath().equals(label) && runs.size() < 10) runs.add(runJson(r));
        }
        return j;
    }

    // ---- helpers

    static String blank(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
