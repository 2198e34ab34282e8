package dev.weft.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a node did to a record: fields to write, a reason to drop it, or child records to fan out
 * into; and optionally a note the store keeps with the step. Immutable.
 *
 * @param writes     fields to set on the record (for an explode: on the parent, before it fans out)
 * @param dropReason why the record is dropped (settled as filtered), or null
 * @param children   for a node that fans a record out: one map of fields per child, in order; each
 *                   child starts as a copy of the record plus its map, gets the id
 *                   {@code <record id>/<index>} and goes on from this node on its own. Null otherwise.
 * @param note       kept with the step in the store; an ordered node's memory gets it back when a
 *                   resumed run restores what earlier records left (see {@link OrderedMemory}). Null for none.
 */
public record StepOutcome(Map<String, Object> writes, String dropReason, List<Map<String, Object>> children, String note) {
    public StepOutcome {
        writes = Collections.unmodifiableMap(new LinkedHashMap<>(writes));
        if (children != null) children = children.stream().map(c -> Collections.unmodifiableMap(new LinkedHashMap<>(c))).toList();
    }

    public StepOutcome(Map<String, Object> writes, String dropReason) {
        this(writes, dropReason, null, null);
    }

    public static StepOutcome write(Map<String, Object> writes) {
        return new StepOutcome(writes, null);
    }

    public static StepOutcome write(String field, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(field, value);
        return new StepOutcome(m, null);
    }

    public static StepOutcome drop(String reason) {
        return new StepOutcome(Map.of(), reason);
    }

    /** The record fans out into one child per map (an empty list drops the record). */
    public static StepOutcome explode(List<Map<String, Object>> children) {
        return new StepOutcome(Map.of(), null, children, null);
    }

    /** This outcome with a note for the store. */
    public StepOutcome withNote(String text) {
        return new StepOutcome(writes, dropReason, children, text);
    }

    public boolean dropped() {
        return dropReason != null;
    }

    public boolean exploded() {
        return children != null;
    }
}
