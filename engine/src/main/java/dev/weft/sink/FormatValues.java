package dev.weft.sink;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reading a format's input values with messages a user can act on: which key, what was expected,
 * what was found. Stateless.
 */
final class FormatValues {
    private FormatValues() {}

    /** A required text: a string, number or boolean (as written); null or a list / object fail. */
    static String text(String what, Object v) {
        if (v == null) throw new FormatException(what + " is missing (null)");
        if (v instanceof String s) return s;
        if (v instanceof Number || v instanceof Boolean) return v.toString();
        throw new FormatException(what + " must be text, found " + kind(v));
    }

    /** A required text that is not blank. */
    static String nonBlank(String what, Object v) {
        String s = text(what, v);
        if (s.isBlank()) throw new FormatException(what + " is empty");
        return s;
    }

    static List<?> list(String what, Object v) {
        if (v instanceof List<?> l) return l;
        throw new FormatException(what + " must be a list, found " + kind(v));
    }

    static Map<?, ?> object(String what, Object v) {
        if (v instanceof Map<?, ?> m) return m;
        throw new FormatException(what + " must be an object, found " + kind(v));
    }

    /** How a value looks, for messages: "a list", "the text 'abc...'", "null". */
    static String kind(Object v) {
        if (v == null) return "null";
        if (v instanceof String s) return "the text '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
        if (v instanceof List<?>) return "a list";
        if (v instanceof Map<?, ?>) return "an object";
        if (v instanceof Boolean) return "a boolean";
        if (v instanceof Number) return "a number";
        return v.getClass().getSimpleName();
    }

    /**
     * The optional keys of a chat message that fine-tuning formats define, checked and copied:
     * {@code name} (a participant's name) on any message, and {@code weight} (0 or 1: whether to
     * train on this turn) on assistant messages.
     */
    static void optionalMessageKeys(String at, Map<?, ?> msg, String role, Map<String, Object> out) {
        if (msg.get("name") != null) out.put("name", nonBlank(at + ".name", msg.get("name")));
        Object weight = msg.get("weight");
        if (weight != null) {
            if (!role.equals("assistant")) throw new FormatException(at + " has a weight; only assistant messages take one");
            if (!(weight instanceof Number n) || (n.doubleValue() != 0 && n.doubleValue() != 1)) {
                throw new FormatException(at + ".weight must be 0 or 1, found " + kind(weight) + (weight instanceof Number ? " " + weight : ""));
            }
            out.put("weight", ((Number) weight).intValue());
        }
    }

    /** Copies the keys the format did not consume into its output, after its own. */
    static void extras(Map<String, Object> in, Map<String, Object> out, Set<String> used) {
        in.forEach((k, v) -> {
            if (!used.contains(k) && !out.containsKey(k)) out.put(k, v);
        });
    }
}
