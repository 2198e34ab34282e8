package dev.weft.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's single writer when a write fails in the middle of a batch: that batch is rolled back
 * as a whole, everything committed before stays, every thread waiting in flush() or blocked on a
 * full queue is released with the failure, later writes are refused at once, close() returns,
 * reads still work, and the file opens and writes again afterwards. Whatever the failure is, an
 * Error included, nobody waits forever.
 */
class StoreWriterFailureTest {
    @TempDir
    Path dir;

    private static long count(Path db, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aFailureMidBatchRollsBackThatBatchAndReleasesEveryWaiter() throws Exception {
        Path db = dir.resolve("weft.db");
        Store store = Store.open(db);
        store.write(h -> h.execute("CREATE TABLE t (x INTEGER)"));
        for (int i = 0; i < 10; i++) {
            int x = i;
            store.write(h -> h.execute("INSERT INTO t VALUES (?)", x));
        }
        store.flush();

        // Hold the writer so that what follows is queued and committed as one batch. Wait until it
        // holds: the writer makes up its batch before applying it, so a write queued before that
        // (on a busy machine) could still join the holding batch and be committed with it.
        CountDownLatch hold = new CountDownLatch(1);
        CountDownLatch holding = new CountDownLatch(1);
        store.write(h -> {
            holding.countDown();
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        holding.await();
        for (int i = 0; i < 500; i++) store.write(h -> h.execute("INSERT INTO t VALUES (1000)"));
        store.write(h -> h.execute("INSERT INTO no_such_table VALUES (1)")); // fails mid-batch
        for (int i = 0; i < 500; i++) store.write(h -> h.execute("INSERT INTO t VALUES (2000)"));
        ExecutorService waiters = Executors.newFixedThreadPool(8);
        List<Future<Throwable>> flushes = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            flushes.add(waiters.submit(() -> {
                try {
                    store.flush();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            }));
        }
        hold.countDown();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (Future<Throwable> f : flushes) {
                Throwable t = f.get();
                assertTrue(t instanceof StoreException, "every flush() learns of the failure: " + t);
                assertTrue(t.getMessage().startsWith("cannot write to " + db + ": "), t.getMessage());
            }
        });
        waiters.shutdown();

        StoreException failure = store.failure().orElseThrow();
        assertTrue(failure.getMessage().contains("no_such_table"), failure.getMessage());
        StoreException refused = assertThrows(StoreException.class, () -> store.write(h -> h.execute("INSERT INTO t VALUES (3)")));
        assertEquals(failure.getMessage(), refused.getMessage(), "later writes are refused with the same failure");
        assertTrue(store.runs(10).isEmpty(), "reads still work");
        assertTimeoutPreemptively(Duration.ofSeconds(10), store::close);

        assertEquals(10, count(db, "SELECT COUNT(*) FROM t"), "what was committed before stays; the failed batch is rolled back whole");
        assertEquals("ok", new Object() {
            String check() throws Exception {
                try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                     ResultSet rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        }.check());
        try (Store again = Store.open(db)) {
            again.write(h -> h.execute("INSERT INTO t VALUES (4)"));
            again.flush();
        }
        assertEquals(11, count(db, "SELECT COUNT(*) FROM t"), "the file takes writes again once reopened");
    }

    @Test
    void writersBlockedOnAFullQueueAreReleasedByAFailure() throws Exception {
        Path db = dir.resolve("full-queue.db");
        Store store = Store.open(db);
        CountDownLatch hold = new CountDownLatch(1);
        store.write(h -> {
            try {
                hold.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            h.execute("INSERT INTO no_such_table VALUES (1)");
        });
        // More writes than the queue holds: these threads block in submit() until the writer drains it.
        ExecutorService producers = Executors.newFixedThreadPool(4);
        List<Future<Integer>> produced = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            produced.add(producers.submit(() -> {
                int refused = 0;
                for (int i = 0; i < 40_000; i++) {
                    try {
                        store.write(h -> h.execute("SELECT 1"));
                    } catch (StoreException e) {
                        refused++;
                    }
                }
                return refused;
            }));
        }
        Thread.sleep(300);
        hold.countDown();
        int refused = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            int n = 0;
            for (Future<Integer> f : produced) n += f.get();
            return n;
        });
        producers.shutdown();
        assertTrue(refused > 0, "writes after the failure are refused");
        assertThrows(StoreException.class, store::flush);
        assertTimeoutPreemptively(Duration.ofSeconds(10), store::close);
    }

    @Test
    void anErrorThrownByAWriteDoesNotLeaveFlushWaitingForever() throws Exception {
        Path db = dir.resolve("error.db");
        Store store = Store.open(db);
        store.write(h -> {
            throw new StackOverflowError("a write that blew the stack");
        });
        StoreException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(StoreException.class, store::flush));
        assertTrue(e.getMessage().startsWith("cannot write to " + db + ": "), e.getMessage());
        assertThrows(StoreException.class, () -> store.write(h -> h.execute("SELECT 1")));
        assertTimeoutPreemptively(Duration.ofSeconds(10), store::close);
    }
}
