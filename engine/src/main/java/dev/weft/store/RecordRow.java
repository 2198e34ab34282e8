package dev.weft.store;

/**
 * A record that finished its run: done (state is what the sink writes from), filtered (with the
 * reason and the filter node) or failed (with the error and the node). Immutable.
 */
public record RecordRow(String runId, long seq, String recordId, RecordStatus status, String stateJson,
                        String error, String node) {}
