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
 * ({@code raw}, {@code sft}, {@code dpo}, or a plugin's). Map keys a format does not consume are
 * kept as extra fields. Immutable and thread-safe.
 */
public final class OutputFormat {
    /** The built-in formats. */
    public static final List<String> NAMES = List.of("raw", "sft", "dpo");
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

    public Map<String, Object> apply(Map<String, Object> state) {
        if (map.isEmpty()) return format.apply(state);
        Map<String, Object> mapped = new LinkedHashMap<>();
        map.forEach((k, e) -> mapped.put(k, templates.evaluate(e, state)));
        return format.apply(mapped);
    }
}
