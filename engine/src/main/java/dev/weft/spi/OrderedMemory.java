package dev.weft.spi;

/**
 * What an ordered node ({@link Node#ordered()}, e.g. {@code dedup}) remembers of the records that
 * passed it during one run: created by {@link Node#newMemory()} once per run, handed to the node by
 * {@link StepContext#awaitTurn()}. Must be thread-safe: a resumed run restores notes from one thread
 * while records decide on others.
 */
public interface OrderedMemory {
    /**
     * Takes back the note this node's step returned for a record in an earlier attempt of the run,
     * when that record is settled and will not run again (a resumed run). Notes come in record order
     * per source record, but records restored may come after records still to decide: compare only
     * with records before the one deciding ({@link StepContext#order()}).
     */
    void restore(RecordOrder order, String recordId, String note);
}
