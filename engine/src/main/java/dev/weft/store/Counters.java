package dev.weft.store;

/** A run's running totals. Immutable. */
public record Counters(long done, long failed, long filtered, long steps, long calls, long cacheHits, long retries,
                       long tokensIn, long tokensOut, double cost) {
    public static final Counters ZERO = new Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public long finished() {
        return done + failed + filtered;
    }
}
