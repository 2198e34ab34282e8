package dev.weft.sink;

import dev.weft.WeftException;
import dev.weft.template.Expression;
import dev.weft.template.TemplateEngine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How a finished record becomes one output line: {@code raw} (the record's fields, or the
 * {@code map}), {@code sft} (chat {@code messages}) or {@code dpo} ({@code prompt}/{@code
 * chosen}/{@code rejected}). Map keys a format does not consume are kept as extra fields.
 * Immutable and thread-safe.
 */
public final class OutputFormat {
    public static final List<String> NAMES = List.of("raw", "sft", "dpo");
    private final String name;
    private final Map<String, Expression> map;
    private final TemplateEngine templates;

    public OutputFormat(String name, Map<String, Expression> map, TemplateEngine templates) {
        if (!NAMES.contains(name)) throw new WeftException("unknown output format '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        List<String> needs = required(name);
        for (String k : needs) {
            if (!map.containsKey(k)) {
                throw new WeftException("output format " + name + " needs the sink's `map` to name " + String.join(", ", needs)
                        + "; `" + k + "` is missing");
            }
        }
        this.name = name;
        this.map = map;
        this.templates = templates;
    }

    public static List<String> required(String format) {
        return switch (format) {
            case "sft" -> List.of("instruction", "response");
            case "dpo" -> List.of("prompt", "chosen", "rejected");
            default -> List.of();
        };
    }

    public String name() {
        return name;
    }

    public Map<String, Object> apply(Map<String, Object> state) {
        if (map.isEmpty()) return state;
        Map<String, Object> mapped = new LinkedHashMap<>();
        map.forEach((k, e) -> mapped.put(k, templates.evaluate(e, state)));
        return switch (name) {
            case "sft" -> sft(mapped);
            case "dpo" -> dpo(mapped);
            default -> mapped;
        };
    }

    private static Map<String, Object> sft(Map<String, Object> m) {
        List<Map<String, Object>> messages = new ArrayList<>();
        if (m.get("system") != null) messages.add(message("system", m.get("system")));
        messages.add(message("user", m.get("instruction")));
        messages.add(message("assistant", m.get("response")));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("messages", messages);
        extras(m, out, Set.of("system", "instruction", "response"));
        return out;
    }

    private static Map<String, Object> dpo(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("prompt", text(m.get("prompt")));
        out.put("chosen", text(m.get("chosen")));
        out.put("rejected", text(m.get("rejected")));
        extras(m, out, Set.of("prompt", "chosen", "rejected"));
        return out;
    }

    private static Map<String, Object> message(String role, Object content) {
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("role", role);
        msg.put("content", text(content));
        return msg;
    }

    private static String text(Object v) {
        return v == null ? "" : v.toString();
    }

    private static void extras(Map<String, Object> m, Map<String, Object> out, Set<String> used) {
        m.forEach((k, v) -> {
            if (!used.contains(k)) out.put(k, v);
        });
    }
}
