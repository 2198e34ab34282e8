package dev.weft.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The store's only writer: one platform thread that drains queued writes and commits them in one
 * transaction per batch. One writer means SQLite never sees two write transactions from this
 * process, and batching turns thousands of small inserts a second into a few commits.
 * Writes are applied in the order they were queued. Thread-safe.
 */
final class BatchWriter implements AutoCloseable {
    private static final int MAX_BATCH = 2000;
    private final LinkedBlockingQueue<Consumer<Handle>> queue = new LinkedBlockingQueue<>(100_000);
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
        try {
            queue.put(write);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while queueing a store write", e);
        }
    }

    /** Waits until everything queued so far is committed. */
    void flush() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        submit(h -> done.complete(null));
        try {
            done.get();
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

    private void loop() {
        List<Consumer<Handle>> batch = new ArrayList<>(MAX_BATCH);
        try (Handle handle = jdbi.open()) {
            while (true) {
                Consumer<Handle> first = queue.take();
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                if (failure == null) {
                    try {
                        handle.useTransaction(h -> batch.forEach(w -> w.accept(h)));
                    } catch (RuntimeException e) {
                        failure = new StoreException(describe(e), e);
                        // Completion markers in this batch still run, so nobody waits forever.
                        batch.forEach(w -> {
                            try {
                                w.accept(null);
                            } catch (RuntimeException ignored) {
                                // a real write without a handle: nothing to do, the failure is recorded
                            }
                        });
                    }
                } else {
                    batch.forEach(w -> {
                        try {
                            w.accept(null);
                        } catch (RuntimeException ignored) {
                            // after a failure only completion markers matter
                        }
                    });
                }
                batch.clear();
                if (closed && queue.isEmpty()) return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = new StoreException(describe(e), e);
        }
    }

    private String describe(RuntimeException e) {
        String m = String.valueOf(e.getMessage());
        String why = m.contains("SQLITE_FULL") ? "the disk is full"
                : m.contains("SQLITE_READONLY") ? "the database file is read-only"
                : m.contains("SQLITE_BUSY") ? "another program holds the database locked"
                : m.contains("SQLITE_IOERR") ? "a disk I/O error occurred"
                : m.replaceAll("\\s+", " ");
        return "cannot write to " + dbPath + ": " + why;
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
        queue.offer(h -> { });
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
