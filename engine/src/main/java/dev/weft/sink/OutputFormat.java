package dev.weft.sink;

import dev.weft.WeftException;
import dev.weft.spi.Format;
import dev.weft.template.Expression;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.NodeKinds;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a finished record becomes one output line: the sink's {@code map} evaluated over the record
 * (or the record's fields without one), handed to a {@link Format} found by name through the SPI
 * ({@code raw}, {@code sft}, {@code dpo}, {@code multi-turn}, {@code tool-call}, {@code oasst}, or a
 * plugin's). Map keys a format does not consume are kept as extra fields. A record whose values do
 * not fit the format fails with a {@link FormatException} that names the format. Immutable and
 * thread-safe.
 */
public final class OutputFormat {
    /** The built-in formats. */
    public static final List<String> NAMES = List.of("raw", "sft", "dpo", "multi-turn", "tool-call", "oasst");
    private final Format format;
    private final Map<String, Expression> map;
    private final TemplateEngine templates;

    /** A built-in format (or one on the engine's class path) by name. */
    public OutputFormat(String name, Map<String, Expression> map, TemplateEngine templates) {
        this(find(name, NodeKinds.builtIn()), map, templates);
    }

    public OutputFormat(Format format, Map<String, Expression> map, TemplateEngine templates) {
        List<String> needs = format.requiredKeys();
        for (String k : needs) {
            if (!map.containsKey(k)) {
                throw new WeftException("output format " + format.name() + " needs the sink's `map` to name " + String.join(", ", needs)
                        + "; `" + k + "` is missing");
            }
        }
        if (!map.isEmpty()) {
            List<String> problems = format.mapProblems(map.keySet());
            if (!problems.isEmpty()) throw new WeftException("output format " + format.name() + ": " + String.join("; ", problems));
        }
        this.format = format;
        this.map = map;
        this.templates = templates;
    }

    /** The format of this name among {@code formats}. */
    public static Format find(String name, NodeKinds formats) {
        Format f = formats.format(name);
        if (f == null) {
            throw new WeftException("unknown output format '" + name + "' (known: " + String.join(", ", formats.formats().keySet()) + ")");
        }
        return f;
    }

    /** The keys a built-in format needs the map to name. */
    public static List<String> required(String format) {
        Format f = NodeKinds.builtIn().format(format);
        return f == null ? List.of() : f.requiredKeys();
    }

    public String name() {
        return format.name();
    }

    /** The output object for a record without an id (as if its id were empty). */
    public Map<String, Object> apply(Map<String, Object> state) {
        return apply(state, "");
    }

    /**
     * The output object for one record.
     *
     * @throws dev.weft.template.TemplateException when an expression of the map fails on the record
     * @throws FormatException when the values do not fit the format (a plugin's error included)
     */
    public Map<String, Object> apply(Map<String, Object> state, String recordId) {
        Map<String, Object> mapped = state;
        if (!map.isEmpty()) {
            mapped = new LinkedHashMap<>();
            for (Map.Entry<String, Expression> e : map.entrySet()) mapped.put(e.getKey(), templates.evaluate(e.getValue(), state));
        }
        try {
            return format.apply(java.util.Collections.unmodifiableMap(mapped), recordId);
        } catch (RuntimeException e) {
            // A format's own words, with its name; a plugin's unexpected exception keeps its class name.
            String why = e instanceof WeftException || e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    ? e.getMessage() : e.toString();
            throw new FormatException("sink format " + format.name() + ": " + why);
        }
    }
}
