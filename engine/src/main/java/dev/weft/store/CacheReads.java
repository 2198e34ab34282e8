package dev.weft.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

/**
 * The hot read of every model step, {@code SELECT response, tokens_in, tokens_out FROM cache
 * WHERE key = ?}, on a few connections of its own, each with the statement prepared once (a Jdbi
 * handle per read cost more than the read). Misses that the {@link KeyFilter} rules out never
 * reach SQLite. Connections are opened on first use. Thread-safe.
 */
final class CacheReads implements AutoCloseable {
    private static final String SELECT = "SELECT response, tokens_in, tokens_out FROM cache WHERE key = ?";
    private final DataSource source;
    private final String dbPath;
    private final int size;
    private final ArrayBlockingQueue<Reader> idle;
    private final List<Reader> opened = new ArrayList<>();
    private final KeyFilter keys = new KeyFilter();
    private final AtomicBoolean loading = new AtomicBoolean();
    /** The highest cache rowid the filter holds: what another process wrote later has higher ones. */
    private volatile long loadedUpTo = -1;
    private boolean closed;

    CacheReads(DataSource source, String dbPath, int size) {
        this.source = source;
        this.dbPath = dbPath;
        this.size = size;
        this.idle = new ArrayBlockingQueue<>(size);
    }

    /** Tells the filter about a key this process is about to write. */
    void added(String key) {
        keys.add(key);
    }

    Optional<Store.CachedAnswer> get(String key) {
        // One thread loads the keys; the others read SQLite meanwhile rather than wait for it.
        if (!keys.loaded() && loading.compareAndSet(false, true)) loadKeys();
        if (!keys.mightContain(key)) return Optional.empty();
        Reader r = take();
        try {
            r.select.setString(1, key);
            try (ResultSet rs = r.select.executeQuery()) {
                return rs.next() ? Optional.of(new Store.CachedAnswer(rs.getString(1), rs.getInt(2), rs.getInt(3))) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read the step cache of " + dbPath + ": " + e.getMessage(), e);
        } finally {
            idle.add(r);
        }
    }

    /** Puts every key already in the store into the filter, once, before it may answer "absent". */
    private void loadKeys() {
        try {
            loadKeysAfter(-1);
        } catch (StoreException e) {
            loading.set(false); // the next read tries again
            throw e;
        }
        keys.markLoaded();
    }

    /**
     * Adds the keys other processes wrote since the filter was loaded (a CLI run beside a long-lived
     * {@code weft serve}, or two runs on one store), so that a run started now finds their answers.
     */
    synchronized void refresh() {
        if (keys.loaded()) loadKeysAfter(loadedUpTo);
    }

    private synchronized void loadKeysAfter(long rowid) {
        Reader r = take();
        try (PreparedStatement st = r.connection.prepareStatement("SELECT rowid, key FROM cache WHERE rowid > ?")) {
            st.setLong(1, rowid);
            long max = rowid;
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    max = Math.max(max, rs.getLong(1));
                    keys.add(rs.getString(2));
                }
            }
            loadedUpTo = max;
        } catch (SQLException e) {
            throw new StoreException("cannot read the step cache of " + dbPath + ": " + e.getMessage(), e);
        } finally {
            idle.add(r);
        }
    }

    /** An idle reader, opening one while fewer than {@code size} exist; else waits for one. */
    private Reader take() {
        Reader r = idle.poll();
        if (r != null) return r;
        synchronized (this) {
            if (closed) throw new StoreException("the store is closed", null);
            if (opened.size() < size) {
                r = open();
                opened.add(r);
                return r;
            }
        }
        try {
            return idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting to read the step cache", e);
        }
    }

    private Reader open() {
        try {
            Connection c = source.getConnection();
            return new Reader(c, c.prepareStatement(SELECT));
        } catch (SQLException e) {
            throw new StoreException("cannot read the step cache of " + dbPath + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        for (Reader r : opened) {
            try {
                r.connection.close();
            } catch (SQLException ignored) {
                // closing: nothing left to read
            }
        }
        opened.clear();
    }

    private record Reader(Connection connection, PreparedStatement select) {}
}
