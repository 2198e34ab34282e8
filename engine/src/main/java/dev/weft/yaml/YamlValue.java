package dev.weft.yaml;

import dev.weft.workflow.Location;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML value that remembers where it was written, so that every error about a workflow can
 * point at its line and column. Mutable only while command-line overrides are applied; treat it
 * as read-only afterwards. Not thread-safe.
 */
public sealed interface YamlValue permits YamlValue.Scalar, YamlValue.Sequence, YamlValue.Mapping {

    Location location();

    /** A short word for messages: "a string", "a list", "a mapping". */
    String describe();

    /** The plain Java value (String, Long, Double, Boolean, null, List, Map) without locations. */
    Object toPlain();

    /** A scalar. {@code type} is what YAML 1.2's core schema resolved it to. */
    record Scalar(String text, ScalarType type, boolean block, boolean quoted, Location location) implements YamlValue {
        @Override
        public String describe() {
            return switch (type) {
                case NULL -> "null";
                case BOOLEAN -> "a boolean";
                case INTEGER -> "an integer";
                case FLOAT -> "a number";
                case STRING -> "a string";
            };
        }

        @Override
        public Object toPlain() {
            return switch (type) {
                case NULL -> null;
                case BOOLEAN -> Boolean.valueOf(text.toLowerCase());
                case INTEGER -> parseLong();
                case FLOAT -> parseDouble();
                case STRING -> text;
            };
        }

        /** The core schema's integers: decimal (a leading 0 is still decimal), 0o octal, 0x hex. */
        private Object parseLong() {
            String t = text.startsWith("+") ? text.substring(1) : text;
            int radix = t.startsWith("0o") ? 8 : t.startsWith("0x") ? 16 : 10;
            String digits = radix == 10 ? t : t.substring(2);
            try {
                return Long.parseLong(digits, radix);
            } catch (NumberFormatException e) {
                return new java.math.BigInteger(digits, radix).doubleValue(); // too large for a long
            }
        }

        /** The core schema's floats, including .inf, -.inf and .nan, which Java spells otherwise. */
        private Double parseDouble() {
            String t = text.toLowerCase();
            if (t.endsWith(".inf")) return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            if (t.equals(".nan")) return Double.NaN;
            return Double.valueOf(text);
        }

        public boolean isNumber() {
            return type == ScalarType.INTEGER || type == ScalarType.FLOAT;
        }
    }

    enum ScalarType { NULL, BOOLEAN, INTEGER, FLOAT, STRING }

    record Sequence(List<YamlValue> items, Location location) implements YamlValue {
        @Override
        public String describe() {
            return "a list";
        }

        @Override
        public Object toPlain() {
            List<Object> out = new ArrayList<>(items.size());
            for (YamlValue v : items) out.add(v.toPlain());
            return out;
        }
    }

    /** A mapping with string keys in the order written; {@code keys} keeps where each key stands. */
    record Mapping(LinkedHashMap<String, YamlValue> entries, LinkedHashMap<String, Location> keys, Location location)
            implements YamlValue {
        public Mapping(Location location) {
            this(new LinkedHashMap<>(), new LinkedHashMap<>(), location);
        }

        @Override
        public String describe() {
            return "a mapping";
        }

        public YamlValue get(String key) {
            return entries.get(key);
        }

        public boolean has(String key) {
            return entries.containsKey(key);
        }

        public Location keyLocation(String key) {
            return keys.getOrDefault(key, location);
        }

        public void put(String key, Location keyAt, YamlValue value) {
            entries.put(key, value);
            keys.putIfAbsent(key, keyAt);
        }

        @Override
        public Object toPlain() {
            Map<String, Object> out = new LinkedHashMap<>();
            entries.forEach((k, v) -> out.put(k, v.toPlain()));
            return out;
        }
    }
}
