package dev.weft.spi;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An output format of the sink ({@code sink.format}): how one finished record becomes one JSON line.
 * The built-in formats ({@code raw}, {@code sft}, {@code dpo}, {@code multi-turn}, {@code tool-call},
 * {@code oasst}) are registered the same way as a
 * plugin's: {@link java.util.ServiceLoader}, {@code META-INF/services/dev.weft.spi.Format}, public
 * no-argument constructor; names are unique.
 *
 * <p>The engine first evaluates the sink's {@code map} (output key to expression) over the record,
 * in the order written, and hands the values to {@link #apply}; without a {@code map} it hands over
 * the record's fields. {@code weft validate} checks that the map names every key of
 * {@link #requiredKeys()} (so a format with required keys always gets a map), and reports what
 * {@link #mapProblems} says about the keys a map names.
 *
 * <p><b>Thread-safety.</b> One instance formats every record of a run, from many threads at once:
 * implementations must be stateless. {@link #apply} must be a pure function of its input, so that
 * two runs of the same inputs write the same bytes.
 */
public interface Format {
    /** The value of {@code format:} in YAML. */
    String name();

    /** One line for the language reference. */
    String description();

    /** The keys the sink's {@code map} must name, e.g. {@code instruction} and {@code response}. */
    default List<String> requiredKeys() {
        return List.of();
    }

    /**
     * What is wrong with the keys a sink's {@code map} names, beyond a missing {@link #requiredKeys()
     * required key}: for formats whose keys are alternatives (oasst takes {@code messages}, or
     * {@code prompt} with {@code response}, {@code answers} or {@code chosen} and {@code rejected}).
     * Checked by {@code weft validate}; each message is reported at the map.
     *
     * @param keys the keys the map names
     * @return one message per problem; empty when the keys suit the format
     */
    default List<String> mapProblems(Set<String> keys) {
        return List.of();
    }

    /**
     * The output object for one record, given its id: what the engine calls. Formats that derive
     * something from the record's id (oasst's message ids) override it; by default it is
     * {@link #apply(Map)}.
     *
     * @param recordId the record's id (the source's id field, or its content hash)
     */
    default Map<String, Object> apply(Map<String, Object> mapped, String recordId) {
        return apply(mapped);
    }

    /**
     * The output object for one record.
     *
     * @param mapped the sink map's keys with their values (or the record's fields), read-only, in
     *               order; keys the format does not consume should be kept as extra fields
     * @throws RuntimeException with a message for the user when a value cannot be formatted; the record fails
     */
    Map<String, Object> apply(Map<String, Object> mapped);
}
