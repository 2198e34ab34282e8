package dev.weft.sink;

import dev.weft.spi.Format;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The built-in output formats {@code raw}, {@code sft} and {@code dpo}, registered through
 * {@code META-INF/services/dev.weft.spi.Format} like a plugin's (the chat formats are
 * {@link MultiTurnFormat}, {@link ToolCallFormat} and {@link OasstFormat}). A missing (null) or
 * non-text value fails the record. Stateless; thread-safe.
 */
public final class BuiltInFormats {
    private BuiltInFormats() {}

    /** Every field of the record, or the sink's map as it is. */
    public static final class Raw implements Format {
        public String name() {
            return "raw";
        }

        public String description() {
            return "Every field of the record, or the sink's `map`.";
        }

        public Map<String, Object> apply(Map<String, Object> mapped) {
            return mapped;
        }
    }

    /** {@code {"messages": [system?, user, assistant]}} from {@code instruction}, {@code response} and an optional {@code system}. */
    public static final class Sft implements Format {
        public String name() {
            return "sft";
        }

        public String description() {
            return "Chat `messages` (system?, user, assistant) from `instruction`, `response` and an optional `system`.";
        }

        public List<String> requiredKeys() {
            return List.of("instruction", "response");
        }

        public Map<String, Object> apply(Map<String, Object> m) {
            List<Map<String, Object>> messages = new ArrayList<>();
            if (m.get("system") != null) messages.add(message("system", FormatValues.text("`system`", m.get("system"))));
            messages.add(message("user", FormatValues.text("`instruction`", m.get("instruction"))));
            messages.add(message("assistant", FormatValues.text("`response`", m.get("response"))));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("messages", messages);
            extras(m, out, Set.of("system", "instruction", "response"));
            return out;
        }
    }

    /** {@code prompt}, {@code chosen}, {@code rejected} as text. */
    public static final class Dpo implements Format {
        public String name() {
            return "dpo";
        }

        public String description() {
            return "Preference pairs: `prompt`, `chosen`, `rejected`.";
        }

        public List<String> requiredKeys() {
            return List.of("prompt", "chosen", "rejected");
        }

        public Map<String, Object> apply(Map<String, Object> m) {
            for (String k : List.of("chosen", "rejected")) {
                if (m.get(k) == null) {
                    throw new FormatException("`" + k + "` is missing (null); a pairwise judge's tie has neither a chosen nor a rejected"
                            + " answer: drop ties before the sink, e.g. `{kind: filter, drop: \"prefer.winner == 'tie'\"}`");
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("prompt", FormatValues.text("`prompt`", m.get("prompt")));
            out.put("chosen", FormatValues.text("`chosen`", m.get("chosen")));
            out.put("rejected", FormatValues.text("`rejected`", m.get("rejected")));
            extras(m, out, Set.of("prompt", "chosen", "rejected"));
            return out;
        }
    }

    static Map<String, Object> message(String role, String content) {
        Map<String, Object> msg = new LinkedHashMap<>();
        msg.put("role", role);
        msg.put("content", content);
        return msg;
    }

    static void extras(Map<String, Object> m, Map<String, Object> out, Set<String> used) {
        FormatValues.extras(m, out, used);
    }
}
