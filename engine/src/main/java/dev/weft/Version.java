package dev.weft;

/** Weft's version, as written into dataset cards and printed by {@code weft --version}. */
public final class Version {
    public static final String CURRENT = "0.1.0-SNAPSHOT";

    private Version() {}
}
