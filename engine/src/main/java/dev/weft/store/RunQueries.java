package dev.weft.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The reads a dashboard needs, over the same store the runs write to: runs filtered by workflow
 * and status, records page by page (filtered by status, by a node they reached and by text),
 * a record's steps and the remembered calls behind them, per-node figures with p95 latency,
 * distributions of judge fields, and progress over time. Every query answers from indexes
 * and touches at most a page of rows, or works in bounded chunks, so pages stay fast with
 * 100,000 records in a run. Creates its indexes on first use ({@code IF NOT EXISTS}). Thread-safe.
 */
public final class RunQueries {
    /** Records examined per chunk when a filter cannot be answered from an index alone. */
    private static final int CHUNK = 4000;
    private static final Pattern FIELD = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String RUN_COLUMNS = """
            id, workflow_name, workflow_path, workflow_hash, options, status, simulated, created_at, updated_at, finished_at,
            message, total, done, failed, filtered, steps, calls, cache_hits, retries, tokens_in, tokens_out, cost, output_path, owner""";

    private final Store store;
    private final Jdbi read;
    private volatile boolean indexed;

    public RunQueries(Store store) {
        this.store = store;
        this.read = store.reader();
    }

    public Store store() {
        return store;
    }

    /** What a records page is narrowed to; null or empty members mean "any". */
    public record RecordFilter(RecordStatus status, String node, String text) {
        public static final RecordFilter NONE = new RecordFilter(null, null, null);

        boolean scans() {
            return (node != null && !node.isEmpty()) || (text != null && !text.isEmpty());
        }
    }

    /** A settled record as the records table shows it (no state: that is for the record's own page). */
    public record RecordSummary(long seq, String recordId, RecordStatus status, String node, String error, long updatedAt,
                                int steps, int calls, int cacheHits, long tokens, double cost, long millis) {}

    /**
     * One page of records in source order.
     *
     * @param next      the cursor ({@code after}) for the next page, or null when nothing follows
     * @param scannedTo the highest record position examined; below {@code next} only when a search stopped early to stay fast
     * @param complete  true when every record after the cursor was examined
     */
    public record RecordPage(List<RecordSummary> records, Long next, long scannedTo, boolean complete) {}

    /** Per-node figures of a run. Latencies in milliseconds; p95 by nearest rank. */
    public record NodeFigures(String node, String kind, long visits, long calls, long cacheHits, long retries, long errors,
                              long failedRecords, long filteredRecords, double meanMillis, long p95Millis, long maxMillis,
                              long tokensIn, long tokensOut, double cost) {}

    /** How many settled records hold {@code value} (JSON text, or null) in a field. */
    public record ValueCount(String value, long count) {}

    /** Records settled in one time bucket of a run. */
    public record ProgressBucket(long startMillis, long done, long failed, long filtered) {}

    /** A workflow file that runs were started from. */
    public record WorkflowRef(String path, String name, long runs, String lastRunId, long lastRunAt) {}

    // ---- indexes

    private void ensureIndexes() {
        if (indexed) return;
        synchronized (this) {
            if (indexed) return;
            read.useHandle(h -> {
                h.execute("CREATE INDEX IF NOT EXISTS weft_records_by_status ON records (run_id, status, seq)");
                h.execute("CREATE INDEX IF NOT EXISTS weft_records_by_time ON records (run_id, updated_at, status)");
                h.execute("CREATE INDEX IF NOT EXISTS weft_records_by_id ON records (run_id, record_id)");
                h.execute("CREATE INDEX IF NOT EXISTS weft_steps_by_node ON steps (run_id, node, duration_ms)");
            });
            indexed = true;
        }
    }

    // ---- runs

    /**
     * Runs, newest first, without their bundles (the workflow text: see {@link Store#run}).
     *
     * @param workflow a workflow name, or null for all
     * @param status   running, stopped (its process is gone), completed, failed, interrupted; or null for all
     */
    public List<RunRow> runs(String workflow, String status, int limit, int offset) {
        String sqlStatus = status == null ? null : status.equals("stopped") ? "running" : status;
        List<RunRow> all = read.withHandle(h -> h.createQuery("SELECT " + RUN_COLUMNS + """
                 FROM runs WHERE (:w IS NULL OR workflow_name = :w) AND (:s IS NULL OR status = :s)
                ORDER BY created_at DESC, id DESC""")
                .bind("w", workflow).bind("s", sqlStatus).map((rs, ctx) -> runRow(rs)).list());
        List<RunRow> out = new ArrayList<>();
        int skipped = 0;
        for (RunRow r : all) {
            if (status != null && !r.statusLabel().equals(status)) continue;
            if (skipped++ < offset) continue;
            if (out.size() >= limit) break;
            out.add(r);
        }
        return out;
    }

    /** How many runs {@link #runs} would list without a limit. */
    public long countRuns(String workflow, String status) {
        return runs(workflow, status, Integer.MAX_VALUE, 0).size();
    }

    /** The names of every workflow that has runs, sorted. */
    public List<String> workflowNames() {
        return read.withHandle(h -> h.createQuery("SELECT DISTINCT workflow_name FROM runs ORDER BY workflow_name")
                .mapTo(String.class).list());
    }

    /** Every workflow file runs were started from, with its latest run. */
    public List<WorkflowRef> workflowFiles() {
        return read.withHandle(h -> h.createQuery("""
                SELECT workflow_path, COUNT(*), MAX(created_at) AS last,
                  (SELECT r2.id FROM runs r2 WHERE r2.workflow_path = r.workflow_path ORDER BY r2.created_at DESC, r2.id DESC LIMIT 1),
                  (SELECT r3.workflow_name FROM runs r3 WHERE r3.workflow_path = r.workflow_path ORDER BY r3.created_at DESC LIMIT 1)
                FROM runs r GROUP BY workflow_path ORDER BY last DESC""")
                .map((rs, ctx) -> new WorkflowRef(rs.getString(1), rs.getString(5), rs.getLong(2), rs.getString(4), rs.getLong(3)))
                .list());
    }

    /** The newest run started from this workflow file, with its bundle. */
    public Optional<RunRow> latestRunOf(String workflowPath) {
        return read.withHandle(h -> h.createQuery("SELECT id FROM runs WHERE workflow_path = :p ORDER BY created_at DESC, id DESC LIMIT 1")
                .bind("p", workflowPath).mapTo(String.class).findOne()).flatMap(store::run);
    }

    // ---- records

    /**
     * Settled records with {@code seq > after}, in source order, at most {@code limit}. A filter by
     * node or text examines records in chunks and stops after {@code budgetMillis} even if the page
     * is not full: the answer says how far it looked ({@link RecordPage#scannedTo()}) and the next
     * page continues from there.
     */
    public RecordPage records(String runId, RecordFilter filter, long after, int limit, long budgetMillis) {
        ensureIndexes();
        RecordFilter f = filter == null ? RecordFilter.NONE : filter;
        String status = f.status() == null ? null : f.status().label();
        return read.withHandle(h -> {
            List<Long> seqs = new ArrayList<>();
            if (!f.scans()) {
                seqs.addAll(h.createQuery("""
                        SELECT seq FROM records WHERE run_id = :r AND (:s IS NULL OR status = :s) AND seq > :after ORDER BY seq LIMIT :n""")
                        .bind("r", runId).bind("s", status).bind("after", after).bind("n", limit + 1).mapTo(Long.class).list());
                boolean more = seqs.size() > limit;
                if (more) seqs = seqs.subList(0, limit);
                List<RecordSummary> rows = summaries(h, runId, seqs);
                long last = seqs.isEmpty() ? after : seqs.get(seqs.size() - 1);
                return new RecordPage(rows, more ? last : null, Math.max(last, after), !more);
            }
            long maxSeq = h.createQuery("SELECT COALESCE(MAX(seq), -1) FROM records WHERE run_id = :r").bind("r", runId)
                    .mapTo(Long.class).one();
            String text = f.text() == null || f.text().isEmpty() ? null : "%" + likeEscape(f.text()) + "%";
            String node = f.node() == null || f.node().isEmpty() ? null : f.node();
            long deadline = System.nanoTime() + budgetMillis * 1_000_000L;
            long from = after;
            Long next = null;
            while (from < maxSeq) {
                long to = Math.min(from + CHUNK, maxSeq);
                int need = limit - seqs.size();
                List<Long> found = h.createQuery("""
                        SELECT seq FROM records WHERE run_id = :r AND seq > :from AND seq <= :to AND (:s IS NULL OR status = :s)
                          AND (:node IS NULL OR EXISTS (SELECT 1 FROM steps st WHERE st.run_id = records.run_id AND st.seq = records.seq AND st.node = :node))
                          AND (:q IS NULL OR record_id LIKE :q ESCAPE '!' OR state LIKE :q ESCAPE '!' OR error LIKE :q ESCAPE '!')
                        ORDER BY seq LIMIT :n""")
                        .bind("r", runId).bind("from", from).bind("to", to).bind("s", status).bind("node", node).bind("q", text)
                        .bind("n", need + 1).mapTo(Long.class).list();
                if (found.size() > need) {
                    seqs.addAll(found.subList(0, need));
                    next = seqs.get(seqs.size() - 1);
                    break;
                }
                seqs.addAll(found);
                from = to;
                if (from < maxSeq && (seqs.size() == limit || System.nanoTime() > deadline)) {
                    next = from;
                    break;
                }
            }
            List<RecordSummary> rows = summaries(h, runId, seqs);
            return new RecordPage(rows, next, next != null ? next : Math.max(maxSeq, after), next == null);
        });
    }

    private static List<RecordSummary> summaries(Handle h, String runId, List<Long> seqs) {
        if (seqs.isEmpty()) return List.of();
        Map<Long, long[]> totals = new LinkedHashMap<>();
        Map<Long, Double> costs = new LinkedHashMap<>();
        h.createQuery("""
                SELECT seq, COUNT(*), SUM(calls), SUM(cache_hits), SUM(tokens_in + tokens_out), SUM(cost), SUM(duration_ms)
                FROM steps WHERE run_id = :r AND seq IN (<seqs>) GROUP BY seq""")
                .bind("r", runId).bindList("seqs", seqs)
                .map((rs, ctx) -> {
                    totals.put(rs.getLong(1), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(7)});
                    costs.put(rs.getLong(1), rs.getDouble(6));
                    return null;
                }).list();
        return h.createQuery("""
                SELECT seq, record_id, status, node, substr(error, 1, 400) AS error, updated_at FROM records
                WHERE run_id = :r AND seq IN (<seqs>) ORDER BY seq""")
                .bind("r", runId).bindList("seqs", seqs)
                .map((rs, ctx) -> {
                    long seq = rs.getLong("seq");
                    long[] t = totals.getOrDefault(seq, new long[5]);
                    return new RecordSummary(seq, rs.getString("record_id"), RecordStatus.parse(rs.getString("status")), rs.getString("node"),
                            rs.getString("error"), rs.getLong("updated_at"), (int) t[0], (int) t[1], (int) t[2], t[3],
                            costs.getOrDefault(seq, 0.0), t[4]);
                }).list();
    }

    /** A settled record of a run, with its state. */
    public Optional<RecordRow> record(String runId, long seq) {
        return read.withHandle(h -> h.createQuery("SELECT * FROM records WHERE run_id = :r AND seq = :s").bind("r", runId).bind("s", seq)
                .map((rs, ctx) -> new RecordRow(rs.getString("run_id"), rs.getLong("seq"), rs.getString("record_id"),
                        RecordStatus.parse(rs.getString("status")), rs.getString("state"), rs.getString("error"), rs.getString("node")))
                .findOne());
    }

    /** A record's steps in the order they ran (possible for a record still in flight too). */
    public List<StepRow> steps(String runId, long seq) {
        return store.steps(runId, seq);
    }

    /** The remembered calls under these keys (missing keys are left out). */
    public Map<String, CacheEntry> cacheEntries(Collection<String> keys) {
        Map<String, CacheEntry> out = new LinkedHashMap<>();
        if (keys.isEmpty()) return out;
        read.useHandle(h -> h.createQuery("SELECT * FROM cache WHERE key IN (<keys>)").bindList("keys", List.copyOf(keys))
                .map((rs, ctx) -> new CacheEntry(rs.getString("key"), rs.getString("profile"), rs.getString("provider"),
                        rs.getString("model"), rs.getString("request"), rs.getString("response"), rs.getInt("tokens_in"),
                        rs.getInt("tokens_out"), rs.getLong("created_at")))
                .forEach(e -> out.put(e.key(), e)));
        return out;
    }

    /** The settled records just before and after {@code seq} in source order: [previous, next], each null at an end. */
    public Long[] neighbours(String runId, long seq) {
        return read.withHandle(h -> new Long[] {
                h.createQuery("SELECT MAX(seq) FROM records WHERE run_id = :r AND seq < :s").bind("r", runId).bind("s", seq)
                        .mapTo(Long.class).findOne().orElse(null),
                h.createQuery("SELECT MIN(seq) FROM records WHERE run_id = :r AND seq > :s").bind("r", runId).bind("s", seq)
                        .mapTo(Long.class).findOne().orElse(null)});
    }

    /** The first settled record with this id in a run (ids should be unique). */
    public Optional<Long> seqOf(String runId, String recordId) {
        ensureIndexes();
        return read.withHandle(h -> h.createQuery("SELECT MIN(seq) FROM records WHERE run_id = :r AND record_id = :id")
                .bind("r", runId).bind("id", recordId).mapTo(Long.class).findOne());
    }

    // ---- figures

    /** Per node: visits, calls, hits, retries, step errors, records failed and filtered there, mean, p95 and max latency, tokens, cost. */
    public List<NodeFigures> nodeFigures(String runId) {
        ensureIndexes();
        return read.withHandle(h -> {
            Map<String, long[]> ended = new LinkedHashMap<>();
            h.createQuery("""
                    SELECT node, SUM(status = 'failed'), SUM(status = 'filtered') FROM records
                    WHERE run_id = :r AND status IN ('failed', 'filtered') AND node IS NOT NULL GROUP BY node""")
                    .bind("r", runId).map((rs, ctx) -> ended.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)})).list();
            record Agg(String node, String kind, long visits, long calls, long hits, long retries, long errors, double mean, long max,
                       long tin, long tout, double cost) {}
            List<Agg> aggs = h.createQuery("""
                    SELECT node, MIN(kind), COUNT(*), SUM(calls), SUM(cache_hits), SUM(retries), SUM(error IS NOT NULL),
                      AVG(duration_ms), MAX(duration_ms), SUM(tokens_in), SUM(tokens_out), SUM(cost)
                    FROM steps WHERE run_id = :r GROUP BY node""")
                    .bind("r", runId)
                    .map((rs, ctx) -> new Agg(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6),
                            rs.getLong(7), rs.getDouble(8), rs.getLong(9), rs.getLong(10), rs.getLong(11), rs.getDouble(12)))
                    .list();
            List<NodeFigures> out = new ArrayList<>();
            for (Agg a : aggs) {
                long rank = Math.max(0, (long) Math.ceil(0.95 * a.visits()) - 1);
                long p95 = h.createQuery("SELECT duration_ms FROM steps WHERE run_id = :r AND node = :n ORDER BY duration_ms LIMIT 1 OFFSET :o")
                        .bind("r", runId).bind("n", a.node()).bind("o", rank).mapTo(Long.class).findOne().orElse(0L);
                long[] e = ended.getOrDefault(a.node(), new long[2]);
                out.add(new NodeFigures(a.node(), a.kind(), a.visits(), a.calls(), a.hits(), a.retries(), a.errors(), e[0], e[1],
                        a.mean(), p95, a.max(), a.tin(), a.tout(), a.cost()));
            }
            return out;
        });
    }

    /**
     * How often each value of a field occurs in the settled records' state, most frequent first:
     * {@code field} is a dotted path of plain names such as {@code grade.score}.
     */
    public List<ValueCount> valueCounts(String runId, String field, int limit) {
        for (String part : field.split("\\.", -1)) {
            if (!FIELD.matcher(part).matches()) throw new IllegalArgumentException("not a field path: " + field);
        }
        return read.withHandle(h -> h.createQuery("""
                SELECT json_quote(json_extract(state, :p)) AS v, COUNT(*) AS n FROM records
                WHERE run_id = :r AND state IS NOT NULL AND json_valid(state) GROUP BY v ORDER BY n DESC, v LIMIT :limit""")
                .bind("p", "$." + field).bind("r", runId).bind("limit", limit)
                .map((rs, ctx) -> new ValueCount(rs.getString(1), rs.getLong(2))).list());
    }

    /** Records settled over the run's time, in {@code buckets} equal slices from its start to its last settled record. */
    public List<ProgressBucket> progress(String runId, long startMillis, int buckets) {
        ensureIndexes();
        return read.withHandle(h -> {
            long last = h.createQuery("SELECT COALESCE(MAX(updated_at), 0) FROM records WHERE run_id = :r").bind("r", runId)
                    .mapTo(Long.class).one();
            long start = Math.min(startMillis, last);
            long width = Math.max(1, (last - start) / Math.max(1, buckets) + 1);
            List<ProgressBucket> out = new ArrayList<>();
            h.createQuery("""
                    SELECT (updated_at - :t0) / :w AS b, SUM(status = 'done'), SUM(status = 'failed'), SUM(status = 'filtered')
                    FROM records WHERE run_id = :r GROUP BY b ORDER BY b""")
                    .bind("t0", start).bind("w", width).bind("r", runId)
                    .map((rs, ctx) -> out.add(new ProgressBucket(start + Math.max(0, rs.getLong(1)) * width, rs.getLong(2), rs.getLong(3),
                            rs.getLong(4))))
                    .list();
            return out;
        });
    }

    // ---- helpers

    /** Escapes a LIKE pattern with '!' (Jdbi's parser reads a backslash before a quote as an escaped quote). */
    private static String likeEscape(String s) {
        return s.replace("!", "!!").replace("%", "!%").replace("_", "!_");
    }

    private static RunRow runRow(ResultSet rs) throws SQLException {
        long total = rs.getLong("total");
        Long totalOrNull = rs.wasNull() ? null : total;
        long fin = rs.getLong("finished_at");
        Long finished = rs.wasNull() ? null : fin;
        return new RunRow(rs.getString("id"), rs.getString("workflow_name"), rs.getString("workflow_path"),
                rs.getString("workflow_hash"), null, rs.getString("options"),
                RunStatus.parse(rs.getString("status")), rs.getInt("simulated") == 1, rs.getLong("created_at"),
                rs.getLong("updated_at"), finished, rs.getString("message"), totalOrNull,
                new Counters(rs.getLong("done"), rs.getLong("failed"), rs.getLong("filtered"), rs.getLong("steps"),
                        rs.getLong("calls"), rs.getLong("cache_hits"), rs.getLong("retries"), rs.getLong("tokens_in"),
                        rs.getLong("tokens_out"), rs.getDouble("cost")),
                rs.getString("output_path"), rs.getString("owner"));
    }
}
