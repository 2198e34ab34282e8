package dev.weft.spi;

/**
 * Another workflow run for one record inside a step ({@link StepContext#runWorkflow}) dropped that
 * record: one of its nodes (a filter) let it go. A {@link StepFailedException}, so that a caller
 * that treats every unfinished run alike (a workflow tool) needs nothing new; a caller that can pass
 * the drop on (a {@code workflow} node) catches it first. Immutable.
 */
public class DroppedRecordException extends StepFailedException {
    private final String workflow;
    private final String node;
    private final String reason;

    public DroppedRecordException(String workflow, String node, String reason) {
        super("workflow '" + workflow + "' dropped the record at node '" + node + "': " + reason);
        this.workflow = workflow;
        this.node = node;
        this.reason = reason;
    }

    /** The name of the workflow that dropped the record. */
    public String workflow() {
        return workflow;
    }

    /** The node of that workflow that dropped it. */
    public String node() {
        return node;
    }

    /** Why, as that node said. */
    public String reason() {
        return reason;
    }
}
