package dev.weft.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A quick "certainly valid" for the answer schemas {@link AnswerSchema} writes (an object of
 * required integer, number, string, boolean or one-of-strings fields, nothing else allowed), so
 * that the full JSON Schema validator runs only on answers that may be wrong (where its messages
 * are needed). It accepts only what the full validator surely accepts: plain JDK numbers within
 * range, exact strings, every required field and no other. Immutable; thread-safe.
 */
final class PlainSchemaCheck {
    private final Map<String, Field> fields;
    private final Set<String> required;

    private PlainSchemaCheck(Map<String, Field> fields, Set<String> required) {
        this.fields = fields;
        this.required = required;
    }

    /** The check for a schema, or null when the schema uses anything this class does not know. */
    static PlainSchemaCheck of(JsonNode schema) {
        if (!keys(schema, Set.of("type", "properties", "required", "additionalProperties"))
                || !schema.path("type").asText().equals("object") || !schema.path("additionalProperties").isBoolean()
                || schema.path("additionalProperties").asBoolean() || !schema.path("properties").isObject()
                || !schema.path("required").isArray()) {
            return null;
        }
        Map<String, Field> fields = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Field f = Field.of(e.getValue());
            if (f == null) return null;
            fields.put(e.getKey(), f);
        }
        Set<String> required = new HashSet<>();
        for (JsonNode r : schema.path("required")) {
            if (!r.isTextual() || !fields.containsKey(r.asText())) return null;
            required.add(r.asText());
        }
        return new PlainSchemaCheck(fields, required);
    }

    /** True only if the value certainly matches the schema; false means "ask the full validator". */
    boolean surelyValid(JsonNode value) {
        if (!value.isObject() || value.size() < required.size()) return false;
        int present = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Field f = fields.get(e.getKey());
            if (f == null || !f.accepts(e.getValue())) return false;
            if (required.contains(e.getKey())) present++;
        }
        return present == required.size();
    }

    private static boolean keys(JsonNode node, Set<String> allowed) {
        if (!node.isObject()) return false;
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) if (!allowed.contains(it.next())) return false;
        return true;
    }

    /** One property: a type with an optional range, or a list of allowed strings. */
    private record Field(String type, JsonNode minimum, JsonNode maximum, Set<String> allowed) {
        static Field of(JsonNode p) {
            if (p.has("enum")) {
                if (!keys(p, Set.of("enum")) || !p.get("enum").isArray()) return null;
                Set<String> allowed = new HashSet<>();
                for (JsonNode v : p.get("enum")) {
                    if (!v.isTextual()) return null;
                    allowed.add(v.asText());
                }
                return new Field(null, null, null, allowed);
            }
            if (!keys(p, Set.of("type", "minimum", "maximum"))) return null;
            String type = p.path("type").asText();
            if (!Set.of("integer", "number", "string", "boolean").contains(type)) return null;
            JsonNode min = p.get("minimum");
            JsonNode max = p.get("maximum");
            if ((min != null && !plainNumber(min)) || (max != null && !plainNumber(max))) return null;
            return new Field(type, min, max, null);
        }

        boolean accepts(JsonNode v) {
            if (allowed != null) return v.isTextual() && allowed.contains(v.asText());
            return switch (type) {
                case "string" -> v.isTextual();
                case "boolean" -> v.isBoolean();
                case "integer" -> (v.isInt() || v.isLong()) && inRange(v);
                default -> plainNumber(v) && inRange(v);
            };
        }

        private boolean inRange(JsonNode v) {
            if (v.isIntegralNumber() && (minimum == null || minimum.isIntegralNumber()) && (maximum == null || maximum.isIntegralNumber())) {
                long x = v.asLong();
                return (minimum == null || x >= minimum.asLong()) && (maximum == null || x <= maximum.asLong());
            }
            double x = v.asDouble();
            return (minimum == null || x >= minimum.asDouble()) && (maximum == null || x <= maximum.asDouble());
        }

        /** An int, long or double node (not a big number, whose comparison the full validator does its own way). */
        private static boolean plainNumber(JsonNode n) {
            return n.isInt() || n.isLong() || n.isDouble();
        }
    }
}
