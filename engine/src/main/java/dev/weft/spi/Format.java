package dev.weft.spi;

import java.util.List;
import java.util.Map;

/**
 * An output format of the sink ({@code sink.format}): how one finished record becomes one JSON line.
 * The built-in formats ({@code raw}, {@code sft}, {@code dpo}) are registered the same way as a
 * plugin's: {@link java.util.ServiceLoader}, {@code META-INF/services/dev.weft.spi.Format}, public
 * no-argument constructor; names are unique.
 *
 * <p>The engine first evaluates the sink's {@code map} (output key to expression) over the record,
 * in the order written, and hands the values to {@link #apply}; without a {@code map} it hands over
 * the record's fields. {@code weft validate} checks that the map names every key of
 * {@link #requiredKeys()} (so a format with required keys always gets a map).
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
     * The output object for one record.
     *
     * @param mapped the sink map's keys with their values (or the record's fields), read-only, in
     *               order; keys the format does not consume should be kept as extra fields
     * @throws RuntimeException with a message for the user when a value cannot be formatted; the record fails
     */
    Map<String, Object> apply(Map<String, Object> mapped);
}
