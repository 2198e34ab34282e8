package dev.weft.store;

/**
 * A record that finished its run: done (state is what the sink writes from), filtered (with the
 * reason and the filter node), failed (with the error and the node), or exploded (state is the
 * record when it fanned out at {@code node} into {@code children} child records; error, if any,
 * says what was left out). Immutable.
 *
 * @param path     {@link RecordPath}: empty for a source record
 * @param children for an exploded record, how many children it has; else null
 */
public record RecordRow(String runId, long seq, String path, String recordId, RecordStatus status, String stateJson,
                        String error, String node, Integer children) {
    /** A source record's row. */
    public RecordRow(String runId, long seq, String recordId, RecordStatus status, String stateJson, String error, String node) {
        this(runId, seq, RecordPath.ROOT, recordId, status, stateJson, error, node, null);
    }
}
