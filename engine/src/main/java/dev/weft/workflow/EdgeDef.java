package dev.weft.workflow;

import dev.weft.template.Expression;

/**
 * An edge of a loaded workflow. Immutable.
 *
 * @param when      the condition, or null for an unconditional edge
 * @param otherwise taken when no other edge from the same node is
 * @param max       how often one record may take this edge; null for unbounded
 */
public record EdgeDef(String from, String to, Expression when, boolean otherwise, Integer max, Location location) {
    public static final String START = "START";
    public static final String END = "END";

    public boolean conditional() {
        return when != null || otherwise;
    }

    /** An id unique within the workflow, used to count loop traversals. */
    public String id() {
        return from + "->" + to + "@" + location.line() + ":" + location.column();
    }

    @Override
    public String toString() {
        return from + " -> " + to;
    }
}
