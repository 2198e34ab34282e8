package dev.weft.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.sqlite.SQLiteConfig;

/**
 * Reads a Weft store (SQLite) from outside the process that writes it: SELECTs only, through
 * one short-lived connection per question (WAL lets them run beside the writer).
 */
final class RunStore {
    private final Path db;

    record Run(String id, String status, long createdAt, long updatedAt, Long finishedAt, long done, long failed, long filtered,
               long steps, long calls, long cacheHits, long retries) {
        long settled() {
            return done + failed + filtered;
        }

        /** The engine's own run window: from the run's row being created to its completion, in seconds. */
        double seconds() {
            return finishedAt == null ? Double.NaN : (finishedAt - createdAt) / 1000.0;
        }
    }

    RunStore(Path db) {
        this.db = db;
    }

    private Connection open() throws SQLException {
        SQLiteConfig c = new SQLiteConfig();
        c.setBusyTimeout(10_000);
        return c.createConnection("jdbc:sqlite:" + db);
    }

    Set<String> runIds() throws SQLException {
        Set<String> ids = new HashSet<>();
        if (!Files.exists(db)) return ids;
        try (Connection c = open(); ResultSet rs = c.createStatement().executeQuery("SELECT id FROM runs")) {
            while (rs.next()) ids.add(rs.getString(1));
        }
        return ids;
    }

    /** The newest run not in {@code except}, if it exists yet. */
    Optional<Run> newRun(Set<String> except) throws SQLException {
        if (!Files.exists(db)) return Optional.empty();
        try (Connection c = open();
             ResultSet rs = c.createStatement().executeQuery("SELECT * FROM runs ORDER BY created_at DESC, id DESC")) {
            while (rs.next()) {
                if (except.contains(rs.getString("id"))) continue;
                long fin = rs.getLong("finished_at");
                Long finished = rs.wasNull() ? null : fin;
                return Optional.of(new Run(rs.getString("id"), rs.getString("status"), rs.getLong("created_at"), rs.getLong("updated_at"),
                        finished, rs.getLong("done"), rs.getLong("failed"), rs.getLong("filtered"), rs.getLong("steps"),
                        rs.getLong("calls"), rs.getLong("cache_hits"), rs.getLong("retries")));
            }
        } catch (SQLException e) {
            if (String.valueOf(e.getMessage()).contains("no such table")) return Optional.empty();
            throw e;
        }
        return Optional.empty();
    }

    /** Model calls (plus retries) per record of a run, by source position. */
    int[] callsPerRecord(String runId, int records) throws SQLException {
        int[] k = new int[records];
        try (Connection c = open();
             PreparedStatement ps = c.prepareStatement("SELECT seq, SUM(calls + retries) FROM steps WHERE run_id = ? GROUP BY seq")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long seq = rs.getLong(1);
                    if (seq >= 0 && seq < records) k[(int) seq] = rs.getInt(2);
                }
            }
        }
        return k;
    }

    long fileBytes() {
        long n = 0;
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            try {
                n += Files.size(Path.of(db + suffix));
            } catch (java.io.IOException ignored) {
                // no such file
            }
        }
        return n;
    }
}
