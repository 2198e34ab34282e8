package dev.weft.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The store's only writer: one platform thread that drains queued writes and commits them in one
 * transaction per batch. One writer means SQLite never sees two write transactions from this
 * process, and batching turns thousands of small inserts a second into a few commits.
 * Writes are applied in the order they were queued. The queue is bounded by the memory its rows
 * hold ({@link #QUEUED_KB}) as well as by their number: should the writer fall behind, the
 * threads that submit wait for it instead of filling the heap. Thread-safe.
 */
final class BatchWriter implements AutoCloseable {
    private static final int MAX_BATCH = 2000;
    /** About how much queued rows may hold, in KiB (a row's strings, estimated; see {@link Prepared#kib}). */
    static final int QUEUED_KB = 32 * 1024;
    private final LinkedBlockingQueue<Consumer<Handle>> queue = new LinkedBlockingQueue<>(100_000);
    private final Semaphore room = new Semaphore(QUEUED_KB);
    private final Jdbi jdbi;
    private final String dbPath;
    private final Thread thread;
    private volatile StoreException failure;
    private volatile boolean closed;

    BatchWriter(Jdbi jdbi, String dbPath) {
        this.jdbi = jdbi;
        this.dbPath = dbPath;
        this.thread = Thread.ofPlatform().name("weft-store-writer").daemon(true).start(this::loop);
    }

    void submit(Consumer<Handle> write) {
        StoreException f = failure;
        if (f != null) throw f;
        if (closed) throw new StoreException("the store is closed", null);
        if (!thread.isAlive()) throw new StoreException("cannot write to " + dbPath + ": the store's writer stopped", null);
        try {
            int kib = kib(write);
            // Bounded waits: should the writer thread ever die, it never makes room again.
            while (!room.tryAcquire(kib, 1, TimeUnit.SECONDS)) {
                if (!thread.isAlive()) throw new StoreException("cannot write to " + dbPath + ": the store's writer stopped", null);
            }
            queue.put(write);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while queueing a store write", e);
        }
    }

    /** Waits until everything queued so far is committed. */
    void flush() {
        Flush done = new Flush();
        submit(done);
        try {
            // Bounded waits: should the writer thread ever die, its flush markers are never completed.
            while (true) {
                try {
                    done.get(1, TimeUnit.SECONDS);
                    break;
                } catch (TimeoutException stillWriting) {
                    if (!thread.isAlive() && !done.isDone()) {
                        StoreException f = failure;
                        throw f != null ? f : new StoreException("cannot write to " + dbPath + ": the store's writer stopped", null);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for the store", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new StoreException("store write failed", e.getCause());
        }
        StoreException f = failure;
        if (f != null) throw f;
    }

    StoreException failure() {
        return failure;
    }

    /** Binds one row's values to a statement. */
    interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private static int kib(Consumer<Handle> write) {
        return write instanceof Prepared p ? p.kib() : write instanceof Flush ? 0 : 1;
    }

    /**
     * A write through a statement prepared once per SQL text and kept open across batches.
     *
     * @param chars the characters of the row's strings, for the queue's memory bound
     */
    record Prepared(String sql, Binder binder, long chars) implements Consumer<Handle> {
        Prepared(String sql, Binder binder) {
            this(sql, binder, 0);
        }

        /** What the row holds while queued, in KiB: its strings (up to 2 bytes a char) and the objects around them. */
        int kib() {
            // At most a quarter of the room: one huge row must not wait for an empty queue while small ones keep coming.
            return (int) Math.min(QUEUED_KB / 4, 1 + (2 * chars + 512) / 1024);
        }

        @Override
        public void accept(Handle h) {
            throw new UnsupportedOperationException("applied by the writer loop");
        }
    }

    private static void apply(Prepared p, Connection c, Map<String, PreparedStatement> statements) {
        try {
            PreparedStatement ps = statements.get(p.sql());
            if (ps == null) {
                ps = c.prepareStatement(p.sql());
                statements.put(p.sql(), ps);
            }
            p.binder().bind(ps);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private void loop() {
        List<Consumer<Handle>> batch = new ArrayList<>(MAX_BATCH);
        Map<String, PreparedStatement> statements = new HashMap<>();
        try (Handle handle = jdbi.open()) {
            while (true) {
                batch.add(queue.take());
                queue.drainTo(batch, MAX_BATCH - 1);
                if (failure == null) {
                    try {
                        handle.useTransaction(h -> batch.forEach(w -> {
                            if (w instanceof Prepared p) apply(p, h.getConnection(), statements);
                            else if (!(w instanceof Flush)) w.accept(h);
                        }));
                    } catch (RuntimeException | Error e) {
                        // An Error too (a write that overflowed the stack, ran out of memory): were it to end
                        // this thread, every flush() would wait for it forever.
                        failure = new StoreException(describe(e), e);
                    }
                }
                // Only now is the batch committed (or given up after a failure, which flush() then
                // reports): release whoever waits in flush(), and the room the batch held.
                int freed = 0;
                for (Consumer<Handle> w : batch) {
                    if (w instanceof Flush f) f.complete(null);
                    freed += kib(w);
                }
                room.release(freed);
                batch.clear();
                if (closed && queue.isEmpty()) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            failure = new StoreException(describe(e), e);
        }
    }

    private String describe(Throwable e) {
        // Jdbi wraps the driver's exception ("Failed to commit transaction"): SQLite's code is further down.
        String m = "";
        for (Throwable t = e; t != null; t = t.getCause()) m += " " + t.getMessage();
        String unwritable = unwritable();
        String why = m.contains("SQLITE_FULL") ? "the disk is full; free some space on it"
                : (m.contains("SQLITE_READONLY") || m.contains("SQLITE_IOERR") || m.contains("SQLITE_CANTOPEN")) && unwritable != null
                        ? unwritable + " cannot be written; make it writable again (its permissions, `chattr -i`, or a read-only mount)"
                : m.contains("SQLITE_READONLY") ? "the database file is read-only"
                : m.contains("SQLITE_BUSY") ? "another program holds the database locked"
                : m.contains("SQLITE_IOERR") ? "a disk I/O error occurred"
                : String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
        return "cannot write to " + dbPath + ": " + why;
    }

    /** Which of the database's files cannot be written (an I/O error may mean just that), or null. */
    private String unwritable() {
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Path f = Path.of(dbPath + suffix);
            if (Files.exists(f) && !Files.isWritable(f)) {
                return suffix.isEmpty() ? "the database file" : "its " + suffix + " file (" + f.getFileName() + ")";
            }
        }
        Path parent = Path.of(dbPath).toAbsolutePath().getParent();
        return parent != null && !Files.isWritable(parent) ? "its folder " + parent : null;
    }

    /** A flush() marker: completed once every write queued before it is committed. */
    private static final class Flush extends CompletableFuture<Void> implements Consumer<Handle> {
        @Override
        public void accept(Handle h) {
            // never applied as a write; the loop completes it after its batch's commit
        }
    }

    @Override
    public void close() {
        if (closed) return;
        try {
            flush();
        } catch (StoreException ignored) {
            // the failure is already recorded and reported by whoever checks failure()
        }
        closed = true;
        queue.offer(new Flush());
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
