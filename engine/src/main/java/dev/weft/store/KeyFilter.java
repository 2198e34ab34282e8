package dev.weft.store;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A Bloom filter of the step cache's keys, so that a run that is not a replay (every key new)
 * skips the SQLite read of each miss. It holds every key in the store when it was loaded and
 * every key this process has queued since; "absent" is then certain, "present" may be wrong
 * (about 1 in 1,000 at a million keys), which only costs the read it would have made anyway.
 * Until {@link #loaded()} it answers "present" for everything. Fixed at 2^24 bits (2 MB): with
 * more keys it errs more often, never the other way. Thread-safe.
 */
final class KeyFilter {
    private static final int BITS_LOG2 = 24;
    private static final int HASHES = 5;
    private final AtomicLongArray bits = new AtomicLongArray(1 << (BITS_LOG2 - 6));
    private volatile boolean loaded;

    void add(String key) {
        long h1 = hash(key, 0);
        long h2 = hash(key, 1) | 1;
        for (int i = 0; i < HASHES; i++) {
            int bit = (int) ((h1 + i * h2) >>> (64 - BITS_LOG2));
            long mask = 1L << (bit & 63);
            int word = bit >>> 6;
            if ((bits.get(word) & mask) == 0) bits.getAndUpdate(word, w -> w | mask);
        }
    }

    /** False only when the key is certainly not in the store. */
    boolean mightContain(String key) {
        if (!loaded) return true;
        long h1 = hash(key, 0);
        long h2 = hash(key, 1) | 1;
        for (int i = 0; i < HASHES; i++) {
            int bit = (int) ((h1 + i * h2) >>> (64 - BITS_LOG2));
            if ((bits.get(bit >>> 6) & (1L << (bit & 63))) == 0) return false;
        }
        return true;
    }

    /** Every key the store held is in: from now on "absent" answers count. */
    void markLoaded() {
        loaded = true;
    }

    boolean loaded() {
        return loaded;
    }

    /**
     * The {@code part}-th (0 or 1) 64-bit hash of a key. Keys are SHA-256 hex, whose first 32
     * digits already are two independent 64-bit hashes; any other string is hashed char by char.
     */
    private static long hash(String s, int part) {
        if (s.length() >= 32) {
            long h = 0;
            for (int i = 16 * part; i < 16 * part + 16; i++) {
                int digit = Character.digit(s.charAt(i), 16);
                if (digit < 0) return mix(s, part == 0 ? 0x9E3779B97F4A7C15L : 0xC2B2AE3D27D4EB4FL);
                h = (h << 4) | digit;
            }
            return h;
        }
        return mix(s, part == 0 ? 0x9E3779B97F4A7C15L : 0xC2B2AE3D27D4EB4FL);
    }

    private static long mix(String s, long seed) {
        long h = seed ^ s.length();
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100000001B3L;
            h ^= h >>> 29;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }
}
