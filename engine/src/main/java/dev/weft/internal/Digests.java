package dev.weft.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 as Weft uses it for content addresses and reproducible seeds. Not API. Stateless;
 * thread-safe (each call gets its own digest).
 */
public final class Digests {
    /** Never updated: only cloned (a provider lookup per digest cost more than the hashing of a seed). */
    private static final MessageDigest PROTOTYPE = lookUp();

    private Digests() {}

    /** A fresh SHA-256 digest; every JVM has one, so its absence is a broken runtime, not an input error. */
    public static MessageDigest sha256() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            return lookUp();
        }
    }

    private static MessageDigest lookUp() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }

    public static byte[] sha256(byte[] data) {
        return sha256().digest(data);
    }

    /** The first eight bytes of a hash as a long, big-endian: a seed for reproducible randomness. */
    public static long firstLong(byte[] hash) {
        long s = 0;
        for (int i = 0; i < 8; i++) s = (s << 8) | (hash[i] & 0xff);
        return s;
    }
}
