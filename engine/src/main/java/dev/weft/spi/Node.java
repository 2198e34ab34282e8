package dev.weft.spi;

import dev.weft.template.FieldRead;
import java.util.List;
import java.util.Set;

/**
 * A configured node of a workflow: what it reads and writes (checked statically before a run)
 * and what it does to one record. Implementations must be immutable and thread-safe: one
 * instance runs for every record at once.
 */
public interface Node {
    /** Record fields this node reads, each with where it reads it. */
    List<FieldRead> reads();

    /** Record fields this node writes when it succeeds. */
    Set<String> writes();

    /**
     * Runs this node for one record.
     *
     * @throws StepFailedException for a failure that fails this record alone
     */
    StepOutcome run(StepContext context) throws InterruptedException;

    /**
     * True for a node that decides each record against the records before it in record order
     * ({@link RecordOrder}), like {@code dedup}: it calls {@link StepContext#awaitTurn()} and keeps
     * what it decided in the memory {@link #newMemory()} makes. The validator keeps such a node out of
     * cycles, so that a record passes it at most once. Wrappers must pass this on.
     */
    default boolean ordered() {
        return false;
    }

    /** For an ordered node: a fresh memory for one run. Wrappers must pass this on. */
    default OrderedMemory newMemory() {
        return null;
    }
}
