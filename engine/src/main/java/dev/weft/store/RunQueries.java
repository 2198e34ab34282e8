package dev.weft.store;

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

    /**
     * Where a record is in a run: its source position and child path ({@link RecordPath}; empty for a
     * source record). Written {@code N} for a source record and {@code N/0/2} for a child, as in
     * the dashboard's addresses. Immutable.
     */
    public record RecordKey(long seq, String path) {
        /** {@code 17}, or {@code 17/0/2}. */
        @Override
        public String toString() {
            return seq + RecordPath.shown(path);
        }

        /** A key as {@link #toString()} writes it; null if the text is not one. */
        public static RecordKey parse(String text) {
            if (text == null) return null;
            int slash = text.indexOf('/');
            try {
                long seq = Long.parseLong(slash < 0 ? text : text.substring(0, slash));
                String path = RecordPath.parse(slash < 0 ? "" : text.substring(slash + 1));
                return seq < 0 || path == null ? null : new RecordKey(seq, path);
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    /**
     * Where a records page starts: after every record of source position {@code seq} (a number,
     * {@code -1} for the start), or, inside a source record's children, right after the record at
     * {@code path} ({@code N/} is right after source record N itself, before its children;
     * {@code N/0/2} after that child). Immutable.
     */
    public record Cursor(long seq, String path) {
        public static final Cursor START = new Cursor(-1, null);

        /** {@code -1}, {@code 17}, {@code 17/} or {@code 17/0/2}; null if the text is not one. */
        public static Cursor parse(String text) {
            if (text == null) return null;
            String t = text.trim();
            int slash = t.indexOf('/');
            try {
                long seq = Long.parseLong(slash < 0 ? t : t.substring(0, slash));
                if (slash < 0) return seq < -1 ? null : new Cursor(seq, null);
                String path = RecordPath.parse(t.substring(slash + 1));
                return seq < 0 || path == null ? null : new Cursor(seq, path);
            } catch (NumberFormatException e) {
                return null;
            }
        }

        /** As {@link #parse} reads it: a number when it is after a whole source record. */
        public Object json() {
            return path == null ? (Object) seq : seq + "/" + RecordPath.shown(path).replaceFirst("^/", "");
        }
    }

    /** A settled record as the records table shows it (no state: that is for the record's own page). */
    public record RecordSummary(long seq, String path, String recordId, RecordStatus status, String node, String error, long updatedAt,
                                int steps, int calls, int cacheHits, long tokens, double cost, long millis, Integer children) {
        public RecordKey key() {
            return new RecordKey(seq, path);
        }
    }

    /**
     * One page of records in record order (source order; a source record's children right after it).
     *
     * @param next      the cursor ({@code after}) for the next page, or null when nothing follows
     * @param scannedTo the highest source position examined; below {@code next} only when a search stopped early to stay fast
     * @param complete  true when every record after the cursor was examined
     */
    public record RecordPage(List<RecordSummary> records, Cursor next, long scannedTo, boolean complete) {}

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
                h.execute("CREATE INDEX IF NOT EXISTS weft_records_by_status ON records (run_id, status, seq, path)");
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
                .bind("w", workflow).bind("s", sqlStatus).map((rs, ctx) -> Store.runRow(rs, false)).list());
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
     * Settled records after the cursor, in record order, at most {@code limit}. A filter by node or
     * text examines records in chunks of source positions and stops after {@code budgetMillis} even
     * if the page is not full: the answer says how far it looked ({@link RecordPage#scannedTo()}) and
     * the next page continues from there.
     */
    public RecordPage records(String runId, RecordFilter filter, Cursor after, int limit, long budgetMillis) {
        ensureIndexes();
        RecordFilter f = filter == null ? RecordFilter.NONE : filter;
        Cursor at = after == null ? Cursor.START : after;
        String status = f.status() == null ? null : f.status().label();
        return read.withHandle(h -> {
            List<RecordKey> keys = new ArrayList<>();
            if (!f.scans()) {
                keys.addAll(h.createQuery("""
                        SELECT seq, path FROM records WHERE run_id = :r AND (:s IS NULL OR status = :s)
                          AND (seq > :aseq OR (seq = :aseq AND :apath IS NOT NULL AND path > :apath))
                        ORDER BY seq, path LIMIT :n""")
                        .bind("r", runId).bind("s", status).bind("aseq", at.seq()).bind("apath", at.path()).bind("n", limit + 1)
                        .map((rs, ctx) -> new RecordKey(rs.getLong(1), rs.getString(2))).list());
                boolean more = keys.size() > limit;
                if (more) keys = keys.subList(0, limit);
                List<RecordSummary> rows = summaries(h, runId, keys);
                Cursor next = more ? cursorAfter(h, runId, keys.get(keys.size() - 1)) : null;
                long last = keys.isEmpty() ? at.seq() : keys.get(keys.size() - 1).seq();
                return new RecordPage(rows, next, Math.max(last, at.seq()), !more);
            }
            long maxSeq = h.createQuery("SELECT COALESCE(MAX(seq), -1) FROM records WHERE run_id = :r").bind("r", runId)
                    .mapTo(Long.class).one();
            String text = f.text() == null || f.text().isEmpty() ? null : "%" + likeEscape(f.text()) + "%";
            String node = f.node() == null || f.node().isEmpty() ? null : f.node();
            long deadline = System.nanoTime() + budgetMillis * 1_000_000L;
            long from = at.seq();
            String fromPath = at.path(); // the first chunk may start inside a source record's children
            Cursor next = null;
            while (from < maxSeq || fromPath != null) {
                long to = Math.max(from, Math.min(from + CHUNK, maxSeq));
                int need = limit - keys.size();
                List<RecordKey> found = h.createQuery("""
                        SELECT seq, path FROM records WHERE run_id = :r AND (seq > :from OR (seq = :from AND :fpath IS NOT NULL AND path > :fpath))
                          AND seq <= :to AND (:s IS NULL OR status = :s)
                          AND (:node IS NULL OR EXISTS (SELECT 1 FROM steps st WHERE st.run_id = records.run_id AND st.seq = records.seq
                            AND st.path = records.path AND st.node = :node))
                          AND (:q IS NULL OR record_id LIKE :q ESCAPE '!' OR state LIKE :q ESCAPE '!' OR error LIKE :q ESCAPE '!')
                        ORDER BY seq, path LIMIT :n""")
                        .bind("r", runId).bind("from", from).bind("fpath", fromPath).bind("to", to).bind("s", status).bind("node", node)
                        .bind("q", text).bind("n", need + 1).map((rs, ctx) -> new RecordKey(rs.getLong(1), rs.getString(2))).list();
                if (found.size() > need) {
                    keys.addAll(found.subList(0, need));
                    next = cursorAfter(h, runId, keys.get(keys.size() - 1));
                    break;
                }
                keys.addAll(found);
                from = to;
                fromPath = null;
                if (from < maxSeq && (keys.size() == limit || System.nanoTime() > deadline)) {
                    next = new Cursor(from, null);
                    break;
                }
            }
            List<RecordSummary> rows = summaries(h, runId, keys);
            return new RecordPage(rows, next, next != null ? next.seq() : Math.max(maxSeq, at.seq()), next == null);
        });
    }

    /** The cursor right after a record: the plain source position when nothing of that source record follows it. */
    private static Cursor cursorAfter(Handle h, String runId, RecordKey k) {
        boolean more = h.createQuery("SELECT EXISTS (SELECT 1 FROM records WHERE run_id = :r AND seq = :s AND path > :p)")
                .bind("r", runId).bind("s", k.seq()).bind("p", k.path()).mapTo(Boolean.class).one();
        return more ? new Cursor(k.seq(), k.path()) : new Cursor(k.seq(), null);
    }

    /** The summaries of these records, in record order (a record not found is left out). */
    private static List<RecordSummary> summaries(Handle h, String runId, List<RecordKey> keys) {
        if (keys.isEmpty()) return List.of();
        String values = String.join(", ", java.util.Collections.nCopies(keys.size(), "(?, ?)"));
        Map<RecordKey, long[]> totals = new LinkedHashMap<>();
        Map<RecordKey, Double> costs = new LinkedHashMap<>();
        var steps = h.createQuery("SELECT seq, path, COUNT(*), SUM(calls), SUM(cache_hits), SUM(tokens_in + tokens_out), SUM(cost),"
                + " SUM(duration_ms) FROM steps WHERE run_id = ? AND (seq, path) IN (VALUES " + values + ") GROUP BY seq, path");
        bindKeys(steps, runId, keys);
        steps.map((rs, ctx) -> {
            RecordKey k = new RecordKey(rs.getLong(1), rs.getString(2));
            totals.put(k, new long[] {rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getLong(8)});
            costs.put(k, rs.getDouble(7));
            return null;
        }).list();
        var rows = h.createQuery("SELECT seq, path, record_id, status, node, substr(error, 1, 400) AS error, updated_at, children FROM records"
                + " WHERE run_id = ? AND (seq, path) IN (VALUES " + values + ") ORDER BY seq, path");
        bindKeys(rows, runId, keys);
        return rows.map((rs, ctx) -> {
            RecordKey k = new RecordKey(rs.getLong("seq"), rs.getString("path"));
            long[] t = totals.getOrDefault(k, new long[5]);
            int children = rs.getInt("children");
            Integer childrenOrNull = rs.wasNull() ? null : children;
            return new RecordSummary(k.seq(), k.path(), rs.getString("record_id"), RecordStatus.parse(rs.getString("status")), rs.getString("node"),
                    rs.getString("error"), rs.getLong("updated_at"), (int) t[0], (int) t[1], (int) t[2], t[3],
                    costs.getOrDefault(k, 0.0), t[4], childrenOrNull);
        }).list();
    }

    private static void bindKeys(org.jdbi.v3.core.statement.Query q, String runId, List<RecordKey> keys) {
        int i = 0;
        q.bind(i++, runId);
        for (RecordKey k : keys) {
            q.bind(i++, k.seq());
            q.bind(i++, k.path());
        }
    }

    /** One record's summary, or empty. */
    public Optional<RecordSummary> summary(String runId, RecordKey key) {
        return read.withHandle(h -> summaries(h, runId, List.of(key)).stream().findFirst());
    }

    /** A settled source record of a run, with its state. */
    public Optional<RecordRow> record(String runId, long seq) {
        return record(runId, new RecordKey(seq, RecordPath.ROOT));
    }

    /** A settled record of a run, with its state. */
    public Optional<RecordRow> record(String runId, RecordKey key) {
        return read.withHandle(h -> h.createQuery("SELECT * FROM records WHERE run_id = :r AND seq = :s AND path = :p")
                .bind("r", runId).bind("s", key.seq()).bind("p", key.path())
                .map((rs, ctx) -> Store.recordRow(rs)).findOne());
    }

    /** The settled children of a record, in index order (at most {@code limit}). */
    public List<RecordSummary> children(String runId, RecordKey parent, int limit) {
        return read.withHandle(h -> {
            List<RecordKey> keys = h.createQuery("""
                    SELECT seq, path FROM records WHERE run_id = :r AND seq = :s AND path > :p AND path < :end
                      AND length(path) = length(:p) + 7 ORDER BY path LIMIT :n""")
                    .bind("r", runId).bind("s", parent.seq()).bind("p", parent.path()).bind("end", RecordPath.descendantsEnd(parent.path()))
                    .bind("n", limit).map((rs, ctx) -> new RecordKey(rs.getLong(1), rs.getString(2))).list();
            return summaries(h, runId, keys);
        });
    }

    /** A record's steps in the order they ran (possible for a record still in flight too). */
    public List<StepRow> steps(String runId, RecordKey key) {
        return store.steps(runId, key.seq(), key.path());
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

    /** The settled records just before and after {@code key} in record order: [previous, next], each null at an end. */
    public RecordKey[] neighbours(String runId, RecordKey key) {
        return read.withHandle(h -> new RecordKey[] {
                h.createQuery("""
                        SELECT seq, path FROM records WHERE run_id = :r AND (seq < :s OR (seq = :s AND path < :p))
                        ORDER BY seq DESC, path DESC LIMIT 1""")
                        .bind("r", runId).bind("s", key.seq()).bind("p", key.path())
                        .map((rs, ctx) -> new RecordKey(rs.getLong(1), rs.getString(2))).findOne().orElse(null),
                h.createQuery("""
                        SELECT seq, path FROM records WHERE run_id = :r AND (seq > :s OR (seq = :s AND path > :p))
                        ORDER BY seq, path LIMIT 1""")
                        .bind("r", runId).bind("s", key.seq()).bind("p", key.path())
                        .map((rs, ctx) -> new RecordKey(rs.getLong(1), rs.getString(2))).findOne().orElse(null)});
    }

    /** The first settled record with this id in a run (ids should be unique; a child's is its parent's plus {@code /N}). */
    public Optional<RecordKey> keyOf(String runId, String recordId) {
        ensureIndexes();
        return read.withHandle(h -> h.createQuery("SELECT seq, path FROM records WHERE run_id = :r AND record_id = :id ORDER BY seq, path LIMIT 1")
                .bind("r", runId).bind("id", recordId).map((rs, ctx) -> new RecordKey(rs.getLong(1), rs.getString(2))).findOne());
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
     * How often each value of a field occurs in the settled records' state, most frequent first
     * (an exploded record is left out: its children carry its fields):
     * {@code field} is a dotted path of plain names such as {@code grade.score}.
     */
    public List<ValueCount> valueCounts(String runId, String field, int limit) {
        for (String part : field.split("\\.", -1)) {
            if (!FIELD.matcher(part).matches()) throw new IllegalArgumentException("not a field path: " + field);
        }
        return read.withHandle(h -> h.createQuery("""
                SELECT json_quote(json_extract(state, :p)) AS v, COUNT(*) AS n FROM records
                WHERE run_id = :r AND status != 'exploded' AND state IS NOT NULL AND json_valid(state) GROUP BY v ORDER BY n DESC, v LIMIT :limit""")
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
}
