package dev.weft.yaml;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a part of the workflow language may look like. One declaration serves three purposes:
 * checking a user's YAML (with "did you mean" for unknown keys), publishing the JSON Schema for
 * editors, and documenting the language. Immutable and thread-safe.
 */
public sealed interface Shape {
    JsonNodeFactory JSON = JsonNodeFactory.instance;

    /** A short phrase for messages: "a string", "an integer from 1 to 10". */
    String expected();

    /** This shape as a JSON Schema fragment (draft 2020-12). */
    ObjectNode jsonSchema();

    static Shape string(String description) {
        return new Text(description);
    }

    static Shape integer(Long min, Long max, String description) {
        return new Int(min, max, description);
    }

    static Shape number(Double min, Double max, String description) {
        return new Num(min, max, description);
    }

    static Shape bool(String description) {
        return new Bool(description);
    }

    static Shape oneOf(List<String> values, String description) {
        return new Choice(values, description);
    }

    static Shape listOf(Shape item, String description) {
        return new ListOf(item, description);
    }

    static Shape mapOf(Shape value, String description) {
        return new MapOf(value, description);
    }

    static Shape any(String description) {
        return new Anything(description);
    }

    static Shape either(String description, Shape... alternatives) {
        return new Either(List.of(alternatives), description);
    }

    private static ObjectNode described(String type, String description) {
        ObjectNode n = JSON.objectNode();
        if (type != null) n.put("type", type);
        if (description != null) n.put("description", description);
        return n;
    }

    record Text(String description) implements Shape {
        public String expected() {
            return "a string";
        }

        public ObjectNode jsonSchema() {
            return described("string", description);
        }
    }

    record Int(Long min, Long max, String description) implements Shape {
        public String expected() {
            if (min != null && max != null) return "an integer from " + min + " to " + max;
            if (min != null) return "an integer of at least " + min;
            return "an integer";
        }

        public ObjectNode jsonSchema() {
            ObjectNode n = described("integer", description);
            if (min != null) n.put("minimum", min);
            if (max != null) n.put("maximum", max);
            return n;
        }
    }

    record Num(Double min, Double max, String description) implements Shape {
        public String expected() {
            if (min != null && max != null) return "a number from " + plain(min) + " to " + plain(max);
            if (min != null) return "a number of at least " + plain(min);
            return "a number";
        }

        /** "2" rather than "2.0": a user wrote the number, not a Java double. */
        private static String plain(double d) {
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }

        public ObjectNode jsonSchema() {
            ObjectNode n = described("number", description);
            if (min != null) n.put("minimum", min);
            if (max != null) n.put("maximum", max);
            return n;
        }
    }

    record Bool(String description) implements Shape {
        public String expected() {
            return "true or false";
        }

        public ObjectNode jsonSchema() {
            return described("boolean", description);
        }
    }

    record Choice(List<String> values, String description) implements Shape {
        public String expected() {
            return "one of " + String.join(", ", values);
        }

        public ObjectNode jsonSchema() {
            ObjectNode n = described("string", description);
            var e = n.putArray("enum");
            values.forEach(e::add);
            return n;
        }
    }

    record ListOf(Shape item, String description) implements Shape {
        public String expected() {
            return "a list";
        }

        public ObjectNode jsonSchema() {
            ObjectNode n = described("array", description);
            n.set("items", item.jsonSchema());
            return n;
        }
    }

    record MapOf(Shape value, String description) implements Shape {
        public String expected() {
            return "a mapping";
        }

        public ObjectNode jsonSchema() {
            ObjectNode n = described("object", description);
            n.set("additionalProperties", value.jsonSchema());
            return n;
        }
    }

    record Anything(String description) implements Shape {
        public String expected() {
            return "any value";
        }

        public ObjectNode jsonSchema() {
            return described(null, description);
        }
    }

    record Either(List<Shape> alternatives, String description) implements Shape {
        public String expected() {
            return String.join(" or ", alternatives.stream().map(Shape::expected).distinct().toList());
        }

        public ObjectNode jsonSchema() {
            ObjectNode n = described(null, description);
            var any = n.putArray("anyOf");
            alternatives.forEach(a -> any.add(a.jsonSchema()));
            return n;
        }
    }

    /** A mapping with known keys; anything else is an error that names the nearest known key. */
    record Obj(Map<String, Field> fields, String description) implements Shape {
        public Obj {
            fields = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }

        public String expected() {
            return "a mapping";
        }

        public Obj with(Obj other) {
            LinkedHashMap<String, Field> all = new LinkedHashMap<>(fields);
            all.putAll(other.fields);
            return new Obj(all, description);
        }

        public ObjectNode jsonSchema() {
            ObjectNode n = described("object", description);
            ObjectNode props = n.putObject("properties");
            var required = n.putArray("required");
            fields.forEach((k, f) -> {
                props.set(k, f.shape().jsonSchema());
                if (f.required()) required.add(k);
            });
            if (required.isEmpty()) n.remove("required");
            n.put("additionalProperties", false);
            return n;
        }

        public static Builder builder(String description) {
            return new Builder(description);
        }

        public static final class Builder {
            private final String description;
            private final LinkedHashMap<String, Field> fields = new LinkedHashMap<>();

            private Builder(String description) {
                this.description = description;
            }

            public Builder required(String name, Shape shape) {
                fields.put(name, new Field(shape, true));
                return this;
            }

            public Builder optional(String name, Shape shape) {
                fields.put(name, new Field(shape, false));
                return this;
            }

            public Obj build() {
                return new Obj(fields, description);
            }
        }
    }

    record Field(Shape shape, boolean required) {}
}
