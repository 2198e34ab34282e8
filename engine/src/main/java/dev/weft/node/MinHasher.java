package dev.weft.node;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * MinHash signatures of normalised texts ({@link TextKey}) over word or character shingles, and
 * their LSH band keys. The hash functions come from a fixed seed, so a text has the same
 * signature in every run, on every machine. Immutable and thread-safe.
 */
final class MinHasher {
    private static final long SEED = 0x5EED_DED0_0001L;
    private final boolean words;
    private final int size;
    private final int bands;
    private final int rows;
    private final long[] salts;

    MinHasher(boolean words, int size, int permutations, int bands) {
        this.words = words;
        this.size = size;
        this.bands = bands;
        this.rows = permutations / bands;
        SplittableRandom random = new SplittableRandom(SEED);
        this.salts = new long[permutations];
        for (int i = 0; i < permutations; i++) salts[i] = random.nextLong();
    }

    /** The signature of a normalised text: per hash function, the least hash of its shingles. */
    long[] signature(String key) {
        long[] sig = new long[salts.length];
        Arrays.fill(sig, Long.MAX_VALUE);
        for (long shingle : shingles(key)) {
            for (int i = 0; i < salts.length; i++) {
                long h = mix(shingle ^ salts[i]);
                if (h < sig[i]) sig[i] = h;
            }
        }
        return sig;
    }

    /** The shingles' 64-bit hashes; a text shorter than one shingle is one shingle. */
    private Set<Long> shingles(String key) {
        Set<Long> out = new HashSet<>();
        if (words) {
            String[] w = key.isEmpty() ? new String[0] : key.split(" ");
            if (w.length <= size) {
                out.add(hash(key));
            } else {
                for (int i = 0; i + size <= w.length; i++) out.add(hash(String.join(" ", Arrays.copyOfRange(w, i, i + size))));
            }
        } else {
            int[] cps = key.codePoints().toArray();
            if (cps.length <= size) {
                out.add(hash(key));
            } else {
                for (int i = 0; i + size <= cps.length; i++) out.add(hash(new String(cps, i, size)));
            }
        }
        return out;
    }

    /** The key of each LSH band: texts that share one are compared. */
    long[] bandKeys(long[] sig) {
        long[] keys = new long[bands];
        for (int b = 0; b < bands; b++) {
            long h = b;
            for (int r = 0; r < rows; r++) h = mix(h * 31 + sig[b * rows + r]);
            keys[b] = h;
        }
        return keys;
    }

    /** The share of hash functions on which two signatures agree: an estimate of the texts' Jaccard similarity. */
    static double similarity(long[] a, long[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) if (a[i] == b[i]) same++;
        return (double) same / a.length;
    }

    /** FNV-1a over the UTF-8 bytes, then mixed. */
    private static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= x & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** SplitMix64's finaliser: a cheap, well-spread bijection on longs. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
