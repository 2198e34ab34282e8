package dev.weft.report;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.WeftException;
import dev.weft.store.Counters;
import dev.weft.store.NodeDrops;
import dev.weft.store.Reason;
import dev.weft.store.RecordRow;
import dev.weft.store.RecordStatus;
import dev.weft.store.Store;
import dev.weft.template.Languages;
import dev.weft.workflow.NodeDef;
import dev.weft.workflow.Workflow;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a run produced, measured: judge score distributions, the length, diversity (distinct-1
 * and distinct-2) and language mix of every generated text field, how many records were filtered,
 * deduplicated or failed and why, and what each filter and dedup node dropped. Read from the store,
 * so it describes the records as stored. Immutable once built.
 */
public final class QualityReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Diversity is measured on at most this many records: distinct n-gram sets grow with the data. */
    public static final int DIVERSITY_SAMPLE = 50_000;
    /** The language mix is measured on at most this many texts per field (detection takes a fraction of a millisecond each). */
    public static final int LANGUAGE_SAMPLE = 1_000;
    /** Nodes whose drops the report lists even when they dropped nothing. */
    private static final Set<String> DROPPING_KINDS = Set.of("filter", "dedup");
    private static final Set<String> TEXT_KINDS = Set.of("llm", "conversation", "agent");
    private static final Set<String> JUDGE_KINDS = Set.of("judge");

    private final ObjectNode json;

    private QualityReport(ObjectNode json) {
        this.json = json;
    }

    public ObjectNode json() {
        return json.deepCopy();
    }

    /** Measures the run's done records page by page (memory stays bounded for large runs). */
    public static QualityReport of(Store store, String runId, Workflow workflow, Counters counters) {
        Map<String, Histogram> scores = new TreeMap<>();
        Map<String, TextStats> texts = new TreeMap<>();
        // A set: a loop's refine node writes the same field as the node it refines.
        Set<String> judgeFields = new java.util.LinkedHashSet<>();
        Set<String> textFields = new java.util.LinkedHashSet<>();
        for (NodeDef n : workflow.nodes().values()) {
            if (JUDGE_KINDS.contains(n.kind())) judgeFields.addAll(n.node().writes());
            if (TEXT_KINDS.contains(n.kind())) textFields.addAll(n.node().writes());
        }
        long seen = 0;
        long after = -1;
        while (true) {
            List<RecordRow> page = store.records(runId, after, 1000);
            if (page.isEmpty()) break;
            for (RecordRow r : page) {
                if (r.status() != RecordStatus.DONE || r.stateJson() == null) continue;
                Map<String, Object> state = parse(r.stateJson());
                seen++;
                for (String f : judgeFields) collectScores(f, state.get(f), scores);
                for (String f : textFields) collectTexts(f, state.get(f), texts, seen <= DIVERSITY_SAMPLE);
            }
            after = page.get(page.size() - 1).seq();
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("run", runId);
        root.put("workflow", workflow.name());
        long settled = counters.done() + counters.failed() + counters.filtered();
        ObjectNode records = root.putObject("records");
        records.put("done", counters.done());
        records.put("failed", counters.failed());
        records.put("filtered", counters.filtered());
        records.put("filter_rate", settled == 0 ? 0 : round((double) counters.filtered() / settled));
        records.put("failure_rate", settled == 0 ? 0 : round((double) counters.failed() / settled));
        // Dedup counts come from the steps' node kind, so any node of kind `dedup` counts (a plugin's too).
        List<NodeDrops> drops = new ArrayList<>(store.nodeDrops(runId));
        // In the workflow's order, not the order nodes first ran (which timing decides).
        List<String> order = List.copyOf(workflow.nodes().keySet());
        drops.sort(java.util.Comparator.comparingInt(d -> order.contains(d.node()) ? order.indexOf(d.node()) : order.size()));
        long dedupDropped = drops.stream().filter(d -> d.kind().equals("dedup")).mapToLong(NodeDrops::dropped).sum();
        long dedupReached = drops.stream().anyMatch(d -> d.kind().equals("dedup")) ? store.reachedKind(runId, "dedup") : 0;
        records.put("dedup_reached", dedupReached);
        records.put("dedup_dropped", dedupDropped);
        records.put("dedup_rate", dedupReached == 0 ? 0 : round((double) dedupDropped / dedupReached));
        ObjectNode droppedAt = root.putObject("dropped_at");
        for (NodeDrops d : drops) {
            if (d.dropped() == 0 && !DROPPING_KINDS.contains(d.kind())) continue;
            ObjectNode n = droppedAt.putObject(d.node());
            n.put("kind", d.kind());
            n.put("reached", d.reached());
            n.put("dropped", d.dropped());
            n.put("rate", d.reached() == 0 ? 0 : round((double) d.dropped() / d.reached()));
        }
        ObjectNode why = root.putObject("filtered_because");
        for (Reason reason : store.reasons(runId, RecordStatus.FILTERED, 10)) why.put(String.valueOf(reason.text()), reason.count());
        ObjectNode failedWhy = root.putObject("failed_because");
        for (Reason reason : store.reasons(runId, RecordStatus.FAILED, 10)) failedWhy.put(String.valueOf(reason.text()), reason.count());
        ObjectNode s = root.putObject("scores");
        scores.forEach((k, h) -> s.set(k, h.json()));
        ObjectNode t = root.putObject("texts");
        texts.forEach((k, ts) -> t.set(k, ts.json()));
        return new QualityReport(root);
    }

    @SuppressWarnings("unchecked")
    private static void collectScores(String path, Object v, Map<String, Histogram> out) {
        if (!(v instanceof Map<?, ?> m)) return;
        Object score = m.get("score");
        if (score instanceof Number n) out.computeIfAbsent(path + ".score", k -> new Histogram()).add(n.doubleValue());
        Object winner = m.get("winner");
        if (winner instanceof String w && m.containsKey("chosen")) out.computeIfAbsent(path + ".winner", k -> new Histogram()).add(w);
        for (Map.Entry<?, ?> e : m.entrySet()) {
            // aspects: {helpfulness: {score, reason}, ...}
            if (e.getValue() instanceof Map<?, ?> inner && inner.get("score") instanceof Number n) {
                out.computeIfAbsent(path + "." + e.getKey() + ".score", k -> new Histogram()).add(n.doubleValue());
            }
        }
    }

    private static void collectTexts(String path, Object v, Map<String, TextStats> out, boolean diversity) {
        if (v instanceof String s) {
            out.computeIfAbsent(path, k -> new TextStats()).add(s, diversity);
        } else if (v instanceof Map<?, ?> m) {
            m.forEach((k, x) -> {
                if (x instanceof String s) out.computeIfAbsent(path + "." + k, p -> new TextStats()).add(s, diversity);
            });
        } else if (v instanceof List<?> l) {
            // a conversation: every message's content
            for (Object x : l) {
                if (x instanceof Map<?, ?> msg && msg.get("content") instanceof String s) {
                    out.computeIfAbsent(path + "[].content", p -> new TextStats()).add(s, diversity);
                }
            }
        }
    }

    private static Map<String, Object> parse(String json) {
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
        } catch (IOException e) {
            throw new WeftException("a stored record is unreadable: " + e.getMessage(), e);
        }
    }

    static double round(double d) {
        return Math.round(d * 10_000) / 10_000.0;
    }

    /** Counts of values (scores or labels), with mean and spread for numbers. */
    private static final class Histogram {
        private final TreeMap<String, Long> counts = new TreeMap<>();
        private double sum;
        private double squares;
        private long numbers;

        void add(double v) {
            String key = v == Math.rint(v) ? Long.toString((long) v) : String.valueOf(v);
            counts.merge(key, 1L, Long::sum);
            sum += v;
            squares += v * v;
            numbers++;
        }

        void add(String label) {
            counts.merge(label, 1L, Long::sum);
        }

        ObjectNode json() {
            ObjectNode n = JSON.createObjectNode();
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            n.put("count", total);
            if (numbers > 0) {
                double mean = sum / numbers;
                n.put("mean", round(mean));
                n.put("stddev", round(Math.sqrt(Math.max(0, squares / numbers - mean * mean))));
            }
            ObjectNode c = n.putObject("distribution");
            // numeric keys in numeric order
            counts.entrySet().stream().sorted((a, b) -> compareKeys(a.getKey(), b.getKey())).forEach(e -> c.put(e.getKey(), e.getValue()));
            return n;
        }

        private static int compareKeys(String a, String b) {
            try {
                return Double.compare(Double.parseDouble(a), Double.parseDouble(b));
            } catch (NumberFormatException e) {
                return a.compareTo(b);
            }
        }
    }

    /** Length in characters and words, distinct-1 / distinct-2 over a sample, and the languages of the first texts. */
    private static final class TextStats {
        private final TreeMap<String, Long> languages = new TreeMap<>();
        private int languageSample;
        private int[] chars = new int[64];
        private int[] words = new int[64];
        private int n;
        private final Set<String> unigrams = new HashSet<>();
        private final Set<String> bigrams = new HashSet<>();
        private long unigramTotal;
        private long bigramTotal;

        void add(String s, boolean diversity) {
            if (n == chars.length) {
                chars = Arrays.copyOf(chars, n * 2);
                words = Arrays.copyOf(words, n * 2);
            }
            String[] tokens = s.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}']+");
            List<String> ws = new ArrayList<>(tokens.length);
            for (String w : tokens) if (!w.isEmpty()) ws.add(w);
            chars[n] = s.codePointCount(0, s.length());
            words[n] = ws.size();
            n++;
            if (languageSample < LANGUAGE_SAMPLE) {
                languages.merge(Languages.detect(s), 1L, Long::sum);
                languageSample++;
            }
            if (!diversity) return;
            for (int i = 0; i < ws.size(); i++) {
                unigrams.add(ws.get(i));
                unigramTotal++;
                if (i + 1 < ws.size()) {
                    bigrams.add(ws.get(i) + " " + ws.get(i + 1));
                    bigramTotal++;
                }
            }
        }

        ObjectNode json() {
            ObjectNode o = JSON.createObjectNode();
            o.put("count", n);
            o.set("chars", stats(chars, n));
            o.set("words", stats(words, n));
            o.put("distinct_1", unigramTotal == 0 ? 0 : round((double) unigrams.size() / unigramTotal));
            o.put("distinct_2", bigramTotal == 0 ? 0 : round((double) bigrams.size() / bigramTotal));
            o.put("language_sample", languageSample);
            ObjectNode l = o.putObject("languages");
            // Largest share first; ties by code, so the order is stable.
            languages.entrySet().stream().sorted((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey())
                    : Long.compare(b.getValue(), a.getValue())).forEach(e -> l.put(e.getKey(), round((double) e.getValue() / languageSample)));
            return o;
        }

        private static ObjectNode stats(int[] values, int n) {
            int[] v = Arrays.copyOf(values, n);
            Arrays.sort(v);
            ObjectNode s = JSON.createObjectNode();
            if (n == 0) return s;
            s.put("min", v[0]);
            s.put("p50", v[(n - 1) / 2]);
            s.put("p95", v[(int) Math.ceil(0.95 * n) - 1]);
            s.put("max", v[n - 1]);
            s.put("mean", round(Arrays.stream(v).average().orElse(0)));
            return s;
        }
    }

    /** The report as text for a terminal. */
    public String text() {
        StringBuilder b = new StringBuilder();
        var r = json.get("records");
        b.append(String.format(Locale.ROOT, "records   %d done · %d failed · %d filtered  (filter rate %.1f%%, dedup rate %.1f%%, failure rate %.1f%%)%n",
                r.get("done").asLong(), r.get("failed").asLong(), r.get("filtered").asLong(),
                r.get("filter_rate").asDouble() * 100, r.get("dedup_rate").asDouble() * 100, r.get("failure_rate").asDouble() * 100));
        if (!json.get("dropped_at").isEmpty()) {
            b.append('\n').append(String.format(Locale.ROOT, "%-26s %-12s %8s %8s %7s%n", "dropped at", "kind", "reached", "dropped", "rate"));
            json.get("dropped_at").fields().forEachRemaining(e -> {
                var d = e.getValue();
                b.append(String.format(Locale.ROOT, "  %-24s %-12s %8d %8d %6.1f%%%n", e.getKey(), d.get("kind").asText(), d.get("reached").asLong(),
                        d.get("dropped").asLong(), d.get("rate").asDouble() * 100));
            });
        }
        if (!json.get("scores").isEmpty()) {
            b.append("\nscores\n");
            json.get("scores").fields().forEachRemaining(e -> {
                var h = e.getValue();
                b.append(String.format(Locale.ROOT, "  %-28s n=%d", e.getKey(), h.get("count").asLong()));
                if (h.has("mean")) b.append(String.format(Locale.ROOT, "  mean %.2f  sd %.2f", h.get("mean").asDouble(), h.get("stddev").asDouble()));
                b.append('\n');
                long max = 1;
                for (var c : h.get("distribution")) max = Math.max(max, c.asLong());
                final long top = max;
                h.get("distribution").fields().forEachRemaining(c -> b.append(String.format(Locale.ROOT, "    %6s %6d %s%n", c.getKey(),
                        c.getValue().asLong(), "#".repeat((int) Math.round(30.0 * c.getValue().asLong() / top)))));
            });
        }
        if (!json.get("texts").isEmpty()) {
            b.append("\ntexts                          n   words p50/p95   chars p50/p95  distinct-1 distinct-2\n");
            json.get("texts").fields().forEachRemaining(e -> {
                var t = e.getValue();
                b.append(String.format(Locale.ROOT, "  %-24s %6d %8d/%-6d %8d/%-6d %9.3f %10.3f%n", e.getKey(), t.get("count").asLong(),
                        t.at("/words/p50").asLong(), t.at("/words/p95").asLong(), t.at("/chars/p50").asLong(), t.at("/chars/p95").asLong(),
                        t.get("distinct_1").asDouble(), t.get("distinct_2").asDouble()));
            });
        }
        if (!json.get("texts").isEmpty()) {
            b.append(String.format(Locale.ROOT, "%nlanguages (of the first %,d texts of each field)%n", LANGUAGE_SAMPLE));
            json.get("texts").fields().forEachRemaining(e -> {
                StringBuilder mix = new StringBuilder();
                e.getValue().get("languages").fields().forEachRemaining(l -> mix.append(String.format(Locale.ROOT, "  %s %.1f%%", l.getKey(),
                        l.getValue().asDouble() * 100)));
                b.append(String.format(Locale.ROOT, "  %-24s%s%n", e.getKey(), mix));
            });
        }
        for (String k : List.of("filtered_because", "failed_because")) {
            if (json.get(k).isEmpty()) continue;
            b.append('\n').append(k.replace('_', ' ')).append('\n');
            json.get(k).fields().forEachRemaining(e -> b.append(String.format(Locale.ROOT, "  %6d × %s%n", e.getValue().asLong(), e.getKey())));
        }
        return b.toString();
    }
}
