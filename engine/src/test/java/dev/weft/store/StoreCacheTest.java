package dev.weft.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The step cache's read path: every answer in the store, or written through it, is found (the
 * key filter never hides one), in this process and the next; a miss is a miss.
 */
class StoreCacheTest {
    @TempDir
    Path dir;

    private static CacheEntry entry(String key, String response) {
        return new CacheEntry(key, "writer", "openai", "m", "{\"messages\":[]}", response, 3, 4, 1L);
    }

    @Test
    void answersAnotherProcessWroteAreFoundOnceARunStartsAgain() {
        // `weft serve` keeps one store open for its life while CLI runs write into the same file.
        Path db = dir.resolve("shared.db");
        try (Store server = Store.open(db); Store cli = Store.open(db)) {
            assertEquals(Optional.empty(), server.cachedAnswer("first"), "the server's first lookup loads the keys");
            cli.cachePut(entry("from-cli", "paid for once"), false);
            cli.flush();
            server.refreshCacheKeys(); // what Runner does when a run starts or resumes
            assertEquals(Optional.of(new Store.CachedAnswer("paid for once", 3, 4)), server.cachedAnswer("from-cli"));
            for (int i = 0; i < 50; i++) cli.cachePut(entry("later-" + i, "v" + i), false);
            cli.flush();
            server.refreshCacheKeys();
            for (int i = 0; i < 50; i++) assertEquals("v" + i, server.cachedAnswer("later-" + i).orElseThrow().text());
            assertEquals(Optional.empty(), server.cachedAnswer("never-written"));
        }
    }

    @Test
    void answersAreFoundBeforeAndAfterReopeningAndMissesStayMisses() {
        Path db = dir.resolve("weft.db");
        try (Store store = Store.open(db)) {
            assertEquals(Optional.empty(), store.cachedAnswer("k1"), "a new store remembers nothing");
            store.cachePut(entry("k1", "one"), false);
            store.flush();
            assertEquals(Optional.of(new Store.CachedAnswer("one", 3, 4)), store.cachedAnswer("k1"), "written after the first read");
            for (int i = 0; i < 500; i++) store.cachePut(entry("many-" + i, "v" + i), false);
            store.flush();
            for (int i = 0; i < 500; i++) assertEquals("v" + i, store.cachedAnswer("many-" + i).orElseThrow().text());
        }
        try (Store again = Store.open(db)) {
            again.cachePut(entry("k2", "two"), false);
            again.flush();
            // the first read loads the keys written by the earlier process, and k2 from this one
            assertEquals("one", again.cachedAnswer("k1").orElseThrow().text());
            assertEquals("two", again.cachedAnswer("k2").orElseThrow().text());
            assertEquals("v499", again.cachedAnswer("many-499").orElseThrow().text());
            assertEquals(Optional.empty(), again.cachedAnswer("k3"));
            again.cachePut(entry("k1", "replaced"), true);
            again.flush();
            assertEquals("replaced", again.cachedAnswer("k1").orElseThrow().text());
        }
    }

    @Test
    void writersWaitOnceTheQueuedRowsHoldTheirMemoryBound() throws Exception {
        Path db = dir.resolve("bounded.db");
        try (Store store = Store.open(db)) {
            java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
            store.write(h -> {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            String megabyte = "x".repeat(1 << 20); // about 2 MiB queued each: 16 of them reach the 32 MiB bound
            java.util.concurrent.atomic.AtomicInteger queued = new java.util.concurrent.atomic.AtomicInteger();
            Thread producer = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 40; i++) {
                    store.cachePut(entry("big-" + i, megabyte), false);
                    queued.incrementAndGet();
                }
            });
            Thread.sleep(500);
            int before = queued.get();
            assertTrue(before >= 10 && before <= 16, before + " rows of 2 MiB were queued while the writer was held");
            assertTrue(producer.isAlive(), "the producer waits for room");
            hold.countDown();
            producer.join(30_000);
            assertEquals(40, queued.get());
            store.flush();
            assertEquals(megabyte, store.cachedAnswer("big-39").orElseThrow().text());
        }
    }

    @Test
    void theKeyFilterNeverLosesAKeyAndRarelyClaimsOne() {
        KeyFilter filter = new KeyFilter();
        Random r = new Random(1);
        String[] keys = new String[200_000];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = java.util.HexFormat.of().formatHex(longBytes(r.nextLong(), r.nextLong()));
            filter.add(keys[i]);
        }
        for (String k : keys) assertTrue(filter.mightContain(k), "before loading everything may be there");
        filter.markLoaded();
        for (String k : keys) assertTrue(filter.mightContain(k), k);
        int falsePositives = 0;
        for (int i = 0; i < 100_000; i++) {
            if (filter.mightContain("absent-" + i)) falsePositives++;
        }
        assertTrue(falsePositives < 100, falsePositives + " of 100000 absent keys claimed");
    }

    private static byte[] longBytes(long a, long b) {
        byte[] out = new byte[16];
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (a >>> (8 * i));
            out[8 + i] = (byte) (b >>> (8 * i));
        }
        return out;
    }
}
