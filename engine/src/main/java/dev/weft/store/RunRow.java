package dev.weft.store;

/**
 * A run as stored. Immutable. Counters are totals over every attempt of the run (a resumed run
 * adds to them); {@code bundle} is the workflow text and its prompt files as the run saw them.
 */
public record RunRow(
        String id,
        String workflowName,
        String workflowPath,
        String workflowHash,
        String bundle,
        String options,
        RunStatus status,
        boolean simulated,
        long createdAt,
        long updatedAt,
        Long finishedAt,
        String message,
        Long total,
        Counters counters,
        String outputPath) {

    public RunRow withStatus(RunStatus s, String msg, Long finished, long now) {
        return new RunRow(id, workflowName, workflowPath, workflowHash, bundle, options, s, simulated, createdAt, now,
                finished, msg, total, counters, outputPath);
    }
}
