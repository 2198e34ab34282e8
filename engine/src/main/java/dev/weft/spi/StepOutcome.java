package dev.weft.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a node did to a record: fields to write, or a reason to drop it. Immutable. */
public record StepOutcome(Map<String, Object> writes, String dropReason) {
    public StepOutcome {
        writes = Collections.unmodifiableMap(new LinkedHashMap<>(writes));
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

    public boolean dropped() {
        return dropReason != null;
    }
}
