package dev.weft.run;

import dev.weft.store.Counters;
import dev.weft.store.RunStatus;
import java.nio.file.Path;

/** How a run (or one attempt of it) ended. Immutable. */
public record RunResult(String runId, String workflowName, RunStatus status, String message, Counters counters,
                        Path output, long outputLines, boolean simulated, double seconds) {}
