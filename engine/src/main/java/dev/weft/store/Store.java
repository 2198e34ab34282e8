package dev.weft.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Runs, records, steps and the step cache in one SQLite file. Reads go through a small pool of
 * connections (WAL lets them run beside the writer); every write goes through the one
 * {@link BatchWriter}. Thread-safe.
 */
public final class Store implements AutoCloseable {
    private final Path file;
    private final HikariDataSource readers;
    private final Jdbi read;
    private final BatchWriter writer;
    private final CacheReads cacheReads;

    private Store(Path file) {
        this.file = file;
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(30_000);
        config.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + file);
        Jdbi writeJdbi = Jdbi.create(ds);
        try (Handle h = writeJdbi.open()) {
            Schema.create(h);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open the store " + file + ": " + rootMessage(e), e);
        }
        // Readers share the writer's settings: SQLite cannot switch a pooled connection to read-only,
        // and readers only ever SELECT.
        HikariConfig hc = new HikariConfig();
        hc.setDataSource(ds);
        hc.setMaximumPoolSize(4);
        hc.setPoolName("weft-store-read");
        this.readers = new HikariDataSource(hc);
        this.read = Jdbi.create(readers);
        this.writer = new BatchWriter(writeJdbi, file.toString());
        this.cacheReads = new CacheReads(ds, file.toString(), 4);
    }

    /** Opens (and creates if needed) the store at {@code file}, e.g. {@code .weft/weft.db}. */
    public static Store open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
        } catch (java.io.IOException e) {
            throw new StoreException("cannot create the folder for " + file + ": " + e.getMessage(), e);
        }
        return new Store(file);
    }

    public Path file() {
        return file;
    }

    /** The read pool, for query classes of this package (e.g. the dashboard's). */
    Jdbi reader() {
        return read;
    }

    /** A write failure, if one happened; once set, every later write is refused with it. */
    public Optional<StoreException> failure() {
        return Optional.ofNullable(writer.failure());
    }

    public void flush() {
        writer.flush();
    }

    // ---- runs

    public void createRun(RunRow r) {
        writer.submit(h -> h.createUpdate("""
                INSERT INTO runs (id, workflow_name, workflow_path, workflow_hash, bundle, options, status, simulated,
                  created_at, updated_at, finished_at, message, total, output_path, owner)
                VALUES (:id, :name, :path, :hash, :bundle, :options, :status, :simulated, :created, :updated, :finished,
                  :message, :total, :output, :owner)""")
                .bind("id", r.id()).bind("name", r.workflowName()).bind("path", r.workflowPath())
                .bind("hash", r.workflowHash()).bind("bundle", r.bundle()).bind("options", r.options())
                .bind("status", r.status().label()).bind("simulated", r.simulated() ? 1 : 0)
                .bind("created", r.createdAt()).bind("updated", r.updatedAt()).bind("finished", r.finishedAt())
                .bind("message", r.message()).bind("total", r.total()).bind("output", r.outputPath()).bind("owner", r.owner())
                .execute());
        writer.flush();
    }

    public void updateRunStatus(String runId, RunStatus status, String message, Long finishedAt) {
        long now = System.currentTimeMillis();
        String owner = RunRow.thisProcess();
        writer.submit(h -> h.createUpdate("UPDATE runs SET status = :s, message = :m, finished_at = :f, updated_at = :u, owner = :o WHERE id = :id")
                .bind("s", status.label()).bind("m", message).bind("f", finishedAt).bind("u", now).bind("o", owner).bind("id", runId).execute());
        writer.flush();
    }

    public void updateRunOptions(String runId, String options, boolean simulated) {
        writer.submit(h -> h.createUpdate("UPDATE runs SET options = :o, simulated = :s WHERE id = :id")
                .bind("o", options).bind("s", simulated ? 1 : 0).bind("id", runId).execute());
    }

    public void updateRunTotal(String runId, Long total) {
        writer.submit(h -> h.createUpdate("UPDATE runs SET total = :t WHERE id = :id").bind("t", total).bind("id", runId).execute());
    }

    /** Queues the run's counters; they are committed with the next batch. */
    public void progress(String runId, Counters c) {
        long now = System.currentTimeMillis();
        writer.submit(h -> h.createUpdate("""
                UPDATE runs SET done = :done, failed = :failed, filtered = :filtered, steps = :steps, calls = :calls,
                  cache_hits = :hits, retries = :retries, tokens_in = :tin, tokens_out = :tout, cost = :cost, updated_at = :u
                WHERE id = :id""")
                .bind("done", c.done()).bind("failed", c.failed()).bind("filtered", c.filtered()).bind("steps", c.steps())
                .bind("calls", c.calls()).bind("hits", c.cacheHits()).bind("retries", c.retries())
                .bind("tin", c.tokensIn()).bind("tout", c.tokensOut()).bind("cost", c.cost()).bind("u", now)
                .bind("id", runId).execute());
    }

    public Optional<RunRow> run(String id) {
        return read.withHandle(h -> h.createQuery("SELECT * FROM runs WHERE id = :id").bind("id", id)
                .map((rs, ctx) -> runRow(rs, true)).findOne());
    }

    /** Runs, newest first. */
    public List<RunRow> runs(int limit) {
        return read.withHandle(h -> h.createQuery("SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT :n")
                .bind("n", limit).map((rs, ctx) -> runRow(rs, true)).list());
    }

    /** Run ids that start with {@code prefix} (so users can type a short prefix). */
    public List<String> runIdsStartingWith(String prefix) {
        return read.withHandle(h -> h.createQuery("SELECT id FROM runs WHERE id LIKE :p ESCAPE '\\' ORDER BY id")
                .bind("p", prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
                .mapTo(String.class).list());
    }

    /** Totals recomputed from the records and steps tables (the truth after a resume). */
    public Counters countersFromRows(String runId) {
        return read.withHandle(h -> {
            long[] rec = h.createQuery("""
                    SELECT SUM(status = 'done'), SUM(status = 'failed'), SUM(status = 'filtered') FROM records WHERE run_id = :id""")
                    .bind("id", runId).map((rs, ctx) -> new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)}).one();
            return h.createQuery("""
                    SELECT COUNT(*), COALESCE(SUM(calls),0), COALESCE(SUM(cache_hits),0), COALESCE(SUM(retries),0),
                      COALESCE(SUM(tokens_in),0), COALESCE(SUM(tokens_out),0), COALESCE(SUM(cost),0) FROM steps WHERE run_id = :id""")
                    .bind("id", runId)
                    .map((rs, ctx) -> new Counters(rec[0], rec[1], rec[2], rs.getLong(1), rs.getLong(2), rs.getLong(3),
                            rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getDouble(7)))
                    .one();
        });
    }

    public List<NodeStats> nodeStats(String runId) {
        return read.withHandle(h -> h.createQuery("""
                SELECT node, MIN(kind), COUNT(*), SUM(calls), SUM(cache_hits), SUM(retries), SUM(error IS NOT NULL),
                  AVG(duration_ms), MAX(duration_ms), SUM(tokens_in), SUM(tokens_out), SUM(cost), MIN(started_at) AS first
                FROM steps WHERE run_id = :id GROUP BY node ORDER BY first""")
                .bind("id", runId)
                .map((rs, ctx) -> new NodeStats(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                        rs.getLong(6), rs.getLong(7), rs.getDouble(8), rs.getLong(9), rs.getLong(10), rs.getLong(11), rs.getDouble(12)))
                .list());
    }

    /**
     * Per node of a run that any record reached: its kind, how many records reached it and how many
     * it dropped, in the order the nodes first ran. A node kind is read from the steps, so a kind
     * this build does not know (a plugin's, or one added later) is counted all the same.
     */
    public List<NodeDrops> nodeDrops(String runId) {
        return read.withHandle(h -> {
            Map<String, Long> dropped = new HashMap<>();
            h.createQuery("SELECT node, COUNT(*) FROM records WHERE run_id = :r AND status = 'filtered' AND node IS NOT NULL GROUP BY node")
                    .bind("r", runId).map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2))).forEach(e -> dropped.put(e.getKey(), e.getValue()));
            return h.createQuery("""
                    SELECT node, MIN(kind), COUNT(DISTINCT seq || path), MIN(started_at) AS first FROM steps WHERE run_id = :r
                    GROUP BY node ORDER BY first, node""")
                    .bind("r", runId)
                    .map((rs, ctx) -> new NodeDrops(rs.getString(1), rs.getString(2), rs.getLong(3), dropped.getOrDefault(rs.getString(1), 0L)))
                    .list();
        });
    }

    /**
     * Records of a run that reached at least one node of this kind (a record passing two such nodes
     * counts once; an explode's children count each: a record is its source position and child path).
     */
    public long reachedKind(String runId, String kind) {
        return read.withHandle(h -> h.createQuery("SELECT COUNT(DISTINCT seq || path) FROM steps WHERE run_id = :r AND kind = :k")
                .bind("r", runId).bind("k", kind).mapTo(Long.class).one());
    }

    /** How many records of a run fanned out (explode) and into how many children in all: {records, children}. */
    public long[] exploded(String runId) {
        return read.withHandle(h -> h.createQuery("SELECT COUNT(*), COALESCE(SUM(children), 0) FROM records WHERE run_id = :r AND status = 'exploded'")
                .bind("r", runId).map((rs, ctx) -> new long[] {rs.getLong(1), rs.getLong(2)}).one());
    }

    /** The most common errors (status failed) or filter reasons (status filtered) of a run. */
    public List<Reason> reasons(String runId, RecordStatus status, int limit) {
        return read.withHandle(h -> h.createQuery("""
                SELECT error, COUNT(*) AS n, MIN(record_id), MIN(node) FROM records
                WHERE run_id = :r AND status = :s GROUP BY error ORDER BY n DESC, error LIMIT :limit""")
                .bind("r", runId).bind("s", status.label()).bind("limit", limit)
                .map((rs, ctx) -> new Reason(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4)))
                .list());
    }

    // ---- records and steps

    public void recordFinished(RecordRow r) {
        long now = System.currentTimeMillis();
        writer.submit(new BatchWriter.Prepared("""
                INSERT OR REPLACE INTO records (run_id, seq, path, record_id, status, state, error, node, children, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", ps -> {
            ps.setString(1, r.runId());
            ps.setLong(2, r.seq());
            ps.setString(3, r.path());
            ps.setString(4, r.recordId());
            ps.setString(5, r.status().label());
            ps.setString(6, r.stateJson());
            ps.setString(7, r.error());
            ps.setString(8, r.node());
            if (r.children() == null) ps.setNull(9, java.sql.Types.INTEGER);
            else ps.setInt(9, r.children());
            ps.setLong(10, now);
        }, chars(r.stateJson(), r.error(), r.recordId(), r.path())));
    }

    /** Forgets a source record's earlier failure, so that a resumed run tries it again. */
    public void forgetRecord(String runId, long seq) {
        writer.submit(h -> h.createUpdate("DELETE FROM records WHERE run_id = :r AND seq = :s AND path = ''").bind("r", runId).bind("s", seq).execute());
    }

    /**
     * Forgets the children of the record at ({@code seq}, {@code path}) from index {@code from} on,
     * with their descendants and steps: a record run again that now has fewer children (or none)
     * leaves none behind from before.
     */
    public void forgetChildren(String runId, long seq, String path, int from) {
        String low = RecordPath.child(path, from);
        String high = RecordPath.descendantsEnd(path);
        for (String table : new String[] {"records", "steps"}) {
            writer.submit(h -> h.createUpdate("DELETE FROM " + table + " WHERE run_id = :r AND seq = :s AND path >= :low AND path < :high")
                    .bind("r", runId).bind("s", seq).bind("low", low).bind("high", high).execute());
        }
    }

    public void step(StepRow s) {
        writer.submit(new BatchWriter.Prepared("""
                INSERT OR REPLACE INTO steps (run_id, seq, path, node, visit, kind, started_at, duration_ms, calls, cache_hits, retries,
                  tokens_in, tokens_out, cost, cache_keys, error, note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", ps -> {
            ps.setString(1, s.runId());
            ps.setLong(2, s.seq());
            ps.setString(3, s.path());
            ps.setString(4, s.node());
            ps.setInt(5, s.visit());
            ps.setString(6, s.kind());
            ps.setLong(7, s.startedAt());
            ps.setLong(8, s.durationMillis());
            ps.setInt(9, s.calls());
            ps.setInt(10, s.cacheHits());
            ps.setInt(11, s.retries());
            ps.setLong(12, s.tokensIn());
            ps.setLong(13, s.tokensOut());
            ps.setDouble(14, s.cost());
            ps.setString(15, String.join(",", s.cacheKeys()));
            ps.setString(16, s.error());
            ps.setString(17, s.note());
        }, chars(s.error(), s.note(), s.path()) + 65L * s.cacheKeys().size()));
    }

    /**
     * Settled records of a run with {@code seq > after}, in record order (source order; a source
     * record's children, by child path, right after it): the records of at least {@code limit}
     * source positions' worth of rows, always whole — every record of a source position is on the
     * same page, so the next page starts after the last row's {@code seq}.
     */
    public List<RecordRow> records(String runId, long after, int limit) {
        return read.withHandle(h -> h.createQuery("""
                SELECT * FROM records WHERE run_id = :r AND seq > :after AND seq <= COALESCE(
                  (SELECT seq FROM records WHERE run_id = :r AND seq > :after ORDER BY seq, path LIMIT 1 OFFSET :n - 1),
                  9223372036854775807)
                ORDER BY seq, path""")
                .bind("r", runId).bind("after", after).bind("n", Math.max(1, limit)).map((rs, ctx) -> recordRow(rs)).list());
    }

    /** A source record's steps in the order they ran. */
    public List<StepRow> steps(String runId, long seq) {
        return steps(runId, seq, RecordPath.ROOT);
    }

    /** A record's steps in the order they ran (the writer inserts them in that order; rowid breaks ties in a millisecond). */
    public List<StepRow> steps(String runId, long seq, String path) {
        return read.withHandle(h -> h.createQuery("SELECT * FROM steps WHERE run_id = :r AND seq = :s AND path = :p ORDER BY started_at, rowid")
                .bind("r", runId).bind("s", seq).bind("p", path)
                .map((rs, ctx) -> stepRow(rs))
                .list());
    }

    /** Forgets the notes of one record's steps (exactly this seq and path, not its children's): it is about to run again. */
    public void clearNotes(String runId, long seq, String path) {
        writer.submit(new BatchWriter.Prepared("UPDATE steps SET note = NULL WHERE run_id = ? AND seq = ? AND path = ? AND note IS NOT NULL", ps -> {
            ps.setString(1, runId);
            ps.setLong(2, seq);
            ps.setString(3, path);
        }));
    }

    /** A note an ordered node left with a step: the record's place, the node and the note. Immutable. */
    public record Note(long seq, String path, String node, String note) {}

    /** The notes of a run's steps with {@code from <= seq <= to}, in record order. */
    public List<Note> notes(String runId, long from, long to) {
        return read.withHandle(h -> h.createQuery("""
                SELECT seq, path, node, note FROM steps WHERE run_id = :r AND seq >= :from AND seq <= :to AND note IS NOT NULL
                ORDER BY seq, path, node, visit""")
                .bind("r", runId).bind("from", from).bind("to", to)
                .map((rs, ctx) -> new Note(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4))).list());
    }

    // ---- cache

    /**
     * Just the remembered answer for a key: the hot path of every model step, so it reads only
     * the columns a step needs (the stored request can be kilobytes), through {@link CacheReads}.
     * It sees every answer in the store when the first lookup ran or {@link #refreshCacheKeys()} was
     * last called, and every one this object has written since.
     */
    public Optional<CachedAnswer> cachedAnswer(String key) {
        return cacheReads.get(key);
    }

    /** Lets {@link #cachedAnswer} see the answers other processes have written into this store since; a run calls it when it starts. */
    public void refreshCacheKeys() {
        cacheReads.refresh();
    }

    /** A remembered answer and its token counts. Immutable. */
    public record CachedAnswer(String text, int tokensIn, int tokensOut) {}

    public Optional<CacheEntry> cacheGet(String key) {
        return read.withHandle(h -> h.createQuery("SELECT * FROM cache WHERE key = :k").bind("k", key)
                .map((rs, ctx) -> new CacheEntry(rs.getString("key"), rs.getString("profile"), rs.getString("provider"),
                        rs.getString("model"), rs.getString("request"), rs.getString("response"), rs.getInt("tokens_in"),
                        rs.getInt("tokens_out"), rs.getLong("created_at")))
                .findOne());
    }

    /** Remembers an answer; {@code replace} overwrites an older answer under the same key (--no-cache). */
    public void cachePut(CacheEntry e, boolean replace) {
        String verb = replace ? "INSERT OR REPLACE" : "INSERT OR IGNORE";
        cacheReads.added(e.key());
        writer.submit(new BatchWriter.Prepared(verb + """
                 INTO cache (key, profile, provider, model, request, response, tokens_in, tokens_out, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""", ps -> {
            ps.setString(1, e.key());
            ps.setString(2, e.profile());
            ps.setString(3, e.provider());
            ps.setString(4, e.model());
            ps.setString(5, e.requestJson());
            ps.setString(6, e.responseText());
            ps.setInt(7, e.tokensIn());
            ps.setInt(8, e.tokensOut());
            ps.setLong(9, e.createdAt());
        }, chars(e.requestJson(), e.responseText())));
    }

    /** Runs one write in the writer's order; for callers with a write of their own. */
    public void write(Consumer<Handle> write) {
        writer.submit(write);
    }

    @Override
    public void close() {
        writer.close();
        cacheReads.close();
        readers.close();
    }

    /** The characters of a row's longer strings, for the writer queue's memory bound. */
    private static long chars(String... strings) {
        long n = 0;
        for (String s : strings) n += s == null ? 0 : s.length();
        return n;
    }

    private static List<String> splitKeys(String s) {
        return s == null || s.isEmpty() ? List.of() : Arrays.asList(s.split(","));
    }

    /** A runs row from a {@code SELECT *}; for query classes of this package too, which may leave out {@code bundle}. */
    static RunRow runRow(ResultSet rs, boolean withBundle) throws SQLException {
        long total = rs.getLong("total");
        Long totalOrNull = rs.wasNull() ? null : total;
        long fin = rs.getLong("finished_at");
        Long finished = rs.wasNull() ? null : fin;
        return new RunRow(rs.getString("id"), rs.getString("workflow_name"), rs.getString("workflow_path"),
                rs.getString("workflow_hash"), withBundle ? rs.getString("bundle") : null, rs.getString("options"),
                RunStatus.parse(rs.getString("status")), rs.getInt("simulated") == 1, rs.getLong("created_at"),
                rs.getLong("updated_at"), finished, rs.getString("message"), totalOrNull,
                new Counters(rs.getLong("done"), rs.getLong("failed"), rs.getLong("filtered"), rs.getLong("steps"),
                        rs.getLong("calls"), rs.getLong("cache_hits"), rs.getLong("retries"), rs.getLong("tokens_in"),
                        rs.getLong("tokens_out"), rs.getDouble("cost")),
                rs.getString("output_path"), rs.getString("owner"));
    }

    /** A records row from a {@code SELECT *}; for query classes of this package too. */
    static RecordRow recordRow(ResultSet rs) throws SQLException {
        int children = rs.getInt("children");
        Integer childrenOrNull = rs.wasNull() ? null : children;
        return new RecordRow(rs.getString("run_id"), rs.getLong("seq"), rs.getString("path"), rs.getString("record_id"),
                RecordStatus.parse(rs.getString("status")), rs.getString("state"), rs.getString("error"), rs.getString("node"), childrenOrNull);
    }

    /** A steps row from a {@code SELECT *}. */
    static StepRow stepRow(ResultSet rs) throws SQLException {
        return new StepRow(rs.getString("run_id"), rs.getLong("seq"), rs.getString("path"), rs.getString("node"), rs.getInt("visit"),
                rs.getString("kind"), rs.getLong("started_at"), rs.getLong("duration_ms"), rs.getInt("calls"),
                rs.getInt("cache_hits"), rs.getInt("retries"), rs.getLong("tokens_in"), rs.getLong("tokens_out"),
                rs.getDouble("cost"), splitKeys(rs.getString("cache_keys")), rs.getString("error"), rs.getString("note"));
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) t = t.getCause();
        return String.valueOf(t.getMessage());
    }

}
