package dev.weft.store;

import java.util.List;

/**
 * One visit of one node by one record: timing, calls, cache hits, retries, tokens, cost, the
 * cache keys of its model calls (in order), its error if it failed, and its note (what an ordered
 * node such as dedup decided, restored on resume). Immutable.
 *
 * @param path {@link RecordPath} of the record: empty for a source record
 */
public record StepRow(String runId, long seq, String path, String node, int visit, String kind, long startedAt, long durationMillis,
                      int calls, int cacheHits, int retries, long tokensIn, long tokensOut, double cost,
                      List<String> cacheKeys, String error, String note) {
    /** A source record's step, without a note. */
    public StepRow(String runId, long seq, String node, int visit, String kind, long startedAt, long durationMillis,
                   int calls, int cacheHits, int retries, long tokensIn, long tokensOut, double cost, List<String> cacheKeys, String error) {
        this(runId, seq, RecordPath.ROOT, node, visit, kind, startedAt, durationMillis, calls, cacheHits, retries, tokensIn, tokensOut,
                cost, cacheKeys, error, null);
    }
}
