package dev.weft.store;

import java.util.List;

/**
 * One visit of one node by one record: timing, calls, cache hits, retries, tokens, cost, the
 * cache keys of its model calls (in order) and its error if it failed. Immutable.
 */
public record StepRow(String runId, long seq, String node, int visit, String kind, long startedAt, long durationMillis,
                      int calls, int cacheHits, int retries, long tokensIn, long tokensOut, double cost,
                      List<String> cacheKeys, String error) {}
