package dev.weft.store;

/** Per-node totals of a run, for `weft show`. Immutable. */
public record NodeStats(String node, String kind, long visits, long calls, long cacheHits, long retries, long failures,
                        double meanMillis, long maxMillis, long tokensIn, long tokensOut, double cost) {}
