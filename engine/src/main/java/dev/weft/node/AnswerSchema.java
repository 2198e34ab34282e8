package dev.weft.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.weft.model.ChatMessage;
import dev.weft.model.ModelRequest;
import dev.weft.model.ModelResponse;
import dev.weft.spi.StepContext;
import dev.weft.spi.StepFailedException;
import dev.weft.workflow.Problems;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A structured answer's shape, written in the workflow as {@code {score: integer 1..10, reason:
 * string}}: turned into a JSON Schema that is shown to the model, checked against its answer and
 * used by the simulator. Immutable and thread-safe.
 *
 * <p>The types: {@code string}, {@code boolean}, {@code integer}, {@code integer 1..10},
 * {@code number}, {@code number 0..1}; a YAML list of allowed values ({@code [keep, drop]}); a
 * YAML mapping for a nested object; a list as text, {@code "[string]"}, with an optional length
 * after it ({@code "[string] 3..5"}, {@code "[integer 1..5] 3"}, {@code "[string] 2.."}); and a list
 * of objects or of allowed values as a YAML list holding one mapping or list, with an optional
 * length as its second item ({@code [{q: string, a: string}, 3..5]}, {@code [[news, sport]]}). A
 * YAML list of plain values is always allowed values; one whose only value is a type
 * ({@code [string]}) is refused, since it was surely meant as {@code "[string]"}.
 */
final class AnswerSchema {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final Pattern TYPE = Pattern.compile("(integer|number|string|boolean)(?:\\s+(-?\\d+(?:\\.\\d+)?)\\s*\\.\\.\\s*(-?\\d+(?:\\.\\d+)?))?");
    /** A list's length: N (exactly), N..M, or N.. (at least N); at most 9 digits, so it fits the validator's int. */
    private static final Pattern LENGTH = Pattern.compile("(\\d{1,9})(?:\\s*(\\.\\.)\\s*(\\d{1,9})?)?");
    private final ObjectNode schema;
    private final JsonSchema validator;
    /** Accepts most good answers without the full validator; null if the schema is beyond it. */
    private final PlainSchemaCheck quick;
    /** The schema as JSON text (what every judge prompt shows), written once. */
    private final String text;

    private AnswerSchema(ObjectNode schema) {
        this.schema = schema;
        this.text = schema.toString();
        this.validator = FACTORY.getSchema(schema);
        this.quick = PlainSchemaCheck.of(schema);
    }

    static AnswerSchema defaultScore() {
        return parse(null, null, null);
    }

    /** {score: integer min..max, reason: string}. */
    static AnswerSchema score(long min, long max) {
        ObjectNode s = object();
        ((ObjectNode) s.get("properties")).set("score", JSON.createObjectNode().put("type", "integer").put("minimum", min).put("maximum", max));
        ((ObjectNode) s.get("properties")).set("reason", JSON.createObjectNode().put("type", "string"));
        s.withArray("required").add("score").add("reason");
        return new AnswerSchema(s);
    }

    /** {reason: string, winner: one of the labels} — the reason first, so the model argues before it picks. */
    static AnswerSchema pick(List<String> labels) {
        ObjectNode s = object();
        ((ObjectNode) s.get("properties")).set("reason", JSON.createObjectNode().put("type", "string"));
        ObjectNode winner = JSON.createObjectNode();
        labels.forEach(winner.putArray("enum")::add);
        ((ObjectNode) s.get("properties")).set("winner", winner);
        s.withArray("required").add("reason").add("winner");
        return new AnswerSchema(s);
    }

    private static ObjectNode object() {
        ObjectNode s = JSON.createObjectNode();
        s.put("type", "object");
        s.putObject("properties");
        s.putArray("required");
        s.put("additionalProperties", false);
        return s;
    }

    /** From the YAML mapping; null mapping means the default {score: integer 1..10, reason: string}. */
    static AnswerSchema parse(YamlValue.Mapping spec, String node, Problems problems) {
        return parse(spec, node, "output", problems);
    }

    /**
     * From the YAML mapping of field: type (see the class comment for the types); {@code key} names
     * the node key it came from, for messages. Problems are reported at the types they concern.
     */
    static AnswerSchema parse(YamlValue.Mapping spec, String node, String key, Problems problems) {
        if (spec == null) {
            ObjectNode s = JSON.createObjectNode();
            s.put("type", "object");
            ObjectNode props = s.putObject("properties");
            props.set("score", JSON.createObjectNode().put("type", "integer").put("minimum", 1).put("maximum", 10));
            props.set("reason", JSON.createObjectNode().put("type", "string"));
            s.putArray("required").add("score").add("reason");
            s.put("additionalProperties", false);
            return new AnswerSchema(s);
        }
        Types types = new Types(node, key, problems);
        ObjectNode s = types.object(spec, "");
        if (spec.entries().isEmpty()) problems.add(spec.location(), "node '" + node + "': `" + key + "` needs at least one field");
        return new AnswerSchema(s);
    }

    /** The type language's shape for the YAML checker and the JSON Schema: field name to type, nested to a few levels. */
    static Shape shape(String description) {
        return Shape.mapOf(type(3), description);
    }

    private static Shape type(int depth) {
        Shape nested = depth == 0 ? Shape.any("A field type.") : type(depth - 1);
        return Shape.either(TYPES,
                Shape.string("string, boolean, integer, integer 1..10, number, number 0..1, or a list: \"[string]\", \"[string] 3..5\"."),
                Shape.listOf(Shape.either(null, PLAIN,
                                Shape.mapOf(nested, "The fields of each item of a list of objects."),
                                Shape.listOf(Shape.string(null), "The allowed values of each item.")),
                        "Allowed values ([easy, hard]); or a list of objects ([{q: string}] or [{q: string}, 3..5])."),
                Shape.mapOf(nested, "A nested object: its fields and their types."));
    }

    /** An allowed value (YAML may read it as a number or a boolean), or a list's length (3, 3..5). */
    private static final Shape PLAIN = Shape.either("An allowed value, or the list's length (3, 3..5, 3..).",
            Shape.string(null), Shape.number(null, null, null), Shape.bool(null));

    private static final String TYPES = "string, boolean, integer, integer 1..10, number, number 0..1, a list \"[string]\" or"
            + " \"[string] 3..5\", a mapping of fields, or a list of allowed values";

    private static final int MAX_DEPTH = 8;

    /** Reads types from YAML for one node, reporting problems with the field's path. */
    private record Types(String node, String key, Problems problems) {
        ObjectNode object(YamlValue.Mapping spec, String path) {
            ObjectNode s = JSON.createObjectNode();
            s.put("type", "object");
            ObjectNode props = s.putObject("properties");
            var required = s.putArray("required");
            for (Map.Entry<String, YamlValue> e : spec.entries().entrySet()) {
                ObjectNode p = type(e.getValue(), path + e.getKey());
                if (p != null) {
                    props.set(e.getKey(), p);
                    required.add(e.getKey());
                }
            }
            s.put("additionalProperties", false);
            return s;
        }

        private String field(String path) {
            return "node '" + node + "': " + key + " field '" + path + "'";
        }

        ObjectNode type(YamlValue v, String path) {
            if (v instanceof YamlValue.Mapping m) {
                if (m.entries().isEmpty()) {
                    problems.add(m.location(), field(path) + ": a nested object needs at least one field");
                    return null;
                }
                return object(m, path + ".");
            }
            if (v instanceof YamlValue.Sequence seq) return sequence(seq, path);
            YamlValue.Scalar s = (YamlValue.Scalar) v;
            return text(s.text().trim(), s, path, 0);
        }

        /** [a, b] allowed values; [{fields}] or [[a, b]] a list of them, with an optional length as a second item. */
        private ObjectNode sequence(YamlValue.Sequence seq, String path) {
            List<YamlValue> items = seq.items();
            if (items.isEmpty()) {
                problems.add(seq.location(), field(path) + ": a list of allowed values needs at least one value");
                return null;
            }
            if (!(items.get(0) instanceof YamlValue.Scalar)) {
                if (items.size() > 2 || (items.size() == 2 && !(items.get(1) instanceof YamlValue.Scalar))) {
                    problems.add(items.get(Math.min(2, items.size() - 1)).location(), field(path) + ": a list of objects is written"
                            + " [{field: type, ...}], optionally with its length: [{field: type, ...}, 3..5]");
                    return null;
                }
                ObjectNode item = type(items.get(0), path + "[]");
                if (items.size() == 1) return item == null ? null : array(item);
                YamlValue.Scalar length = (YamlValue.Scalar) items.get(1);
                return item == null ? null : bounded(array(item), length.text().trim(), length, path);
            }
            ObjectNode p = JSON.createObjectNode();
            var values = p.putArray("enum");
            for (YamlValue i : items) {
                if (!(i instanceof YamlValue.Scalar sc)) {
                    problems.add(i.location(), field(path) + ": allowed values are plain values, not " + i.describe());
                    return null;
                }
                values.add(sc.text());
            }
            String only = ((YamlValue.Scalar) items.get(0)).text().trim();
            if (items.size() == 1 && (TYPE.matcher(only).matches() || only.startsWith("["))) {
                // [string] in YAML is a list holding the value "string": almost surely meant as a list of strings.
                problems.add(seq.location(), field(path) + " is a YAML list, which means allowed values, but its only value '" + only
                        + "' is a type; for a list of that type, quote it: \"[" + only + "]\"");
                return null;
            }
            return p;
        }

        /** A type written as text: a scalar type, or "[T]" with an optional length after it. */
        private ObjectNode text(String text, YamlValue at, String path, int depth) {
            if (text.startsWith("[")) {
                if (depth == MAX_DEPTH) { // a string of a million [ would otherwise overflow the stack
                    problems.add(at.location(), field(path) + ": lists nest at most " + MAX_DEPTH + " deep");
                    return null;
                }
                int close = closing(text);
                if (close < 0) {
                    problems.add(at.location(), field(path) + ": '" + text + "' opens a list with [ but never closes it");
                    return null;
                }
                ObjectNode item = text(text.substring(1, close).trim(), at, path + "[]", depth + 1);
                if (item == null) return null;
                String rest = text.substring(close + 1).trim();
                return rest.isEmpty() ? array(item) : bounded(array(item), rest, at, path);
            }
            Matcher m = TYPE.matcher(text);
            if (!m.matches()) {
                problems.add(at.location(), field(path) + " must be a type: " + TYPES + "; found '" + text + "'");
                return null;
            }
            ObjectNode p = JSON.createObjectNode().put("type", m.group(1));
            if (m.group(2) != null) {
                if (m.group(1).equals("integer")) {
                    try {
                        p.put("minimum", Long.parseLong(m.group(2).split("\\.")[0]));
                        p.put("maximum", Long.parseLong(m.group(3).split("\\.")[0]));
                    } catch (NumberFormatException e) { // digits beyond a long: a problem to report, not a crash
                        problems.add(at.location(), field(path) + ": the range's ends must be between "
                                + Long.MIN_VALUE + " and " + Long.MAX_VALUE);
                        return null;
                    }
                } else if (m.group(1).equals("number")) {
                    p.put("minimum", Double.parseDouble(m.group(2)));
                    p.put("maximum", Double.parseDouble(m.group(3)));
                } else {
                    problems.add(at.location(), "node '" + node + "': a range fits only integer or number fields");
                    return null;
                }
                if (p.get("minimum").asDouble() > p.get("maximum").asDouble()) {
                    problems.add(at.location(), field(path) + ": the range's lower end is above its upper end");
                    return null;
                }
            }
            return p;
        }

        /** The list's length: N, N..M or N.. (at least N). */
        private ObjectNode bounded(ObjectNode array, String length, YamlValue at, String path) {
            Matcher m = LENGTH.matcher(length);
            if (!m.matches()) {
                problems.add(at.location(), field(path) + ": a list's length is written N, N..M or N.. (e.g. \"[string] 3..5\"),"
                        + " found '" + length + "'");
                return null;
            }
            long min = Long.parseLong(m.group(1));
            long max = m.group(2) == null ? min : m.group(3) == null ? -1 : Long.parseLong(m.group(3));
            if (max >= 0 && min > max) {
                problems.add(at.location(), field(path) + ": the list's shortest length " + min + " is above its longest " + max);
                return null;
            }
            array.put("minItems", min);
            if (max >= 0) array.put("maxItems", max);
            return array;
        }

        private static ObjectNode array(ObjectNode item) {
            ObjectNode a = JSON.createObjectNode().put("type", "array");
            a.set("items", item);
            return a;
        }

        /** Where the [ at 0 closes, counting nested brackets; -1 if it does not. */
        private static int closing(String text) {
            int depth = 0;
            for (int i = 0; i < text.length(); i++) {
                if (text.charAt(i) == '[') depth++;
                else if (text.charAt(i) == ']' && --depth == 0) return i;
            }
            return -1;
        }
    }

    /**
     * Asks a model for an answer of this shape: the schema is appended to the last message (the
     * user's), and an unusable answer is shown to the model with what is wrong and asked again, up
     * to {@code retries} times.
     *
     * @param who how the failure message names the answer, e.g. "the judge's answer"
     * @return the answer as plain values (maps, lists, strings, numbers, booleans)
     * @throws StepFailedException when no answer fitted
     */
    @SuppressWarnings("unchecked")
    Map<String, Object> ask(StepContext ctx, String profile, List<ChatMessage> prompt, int retries, String who) throws InterruptedException {
        List<ChatMessage> messages = new ArrayList<>(prompt.subList(0, prompt.size() - 1));
        messages.add(ChatMessage.user(prompt.get(prompt.size() - 1).text()
                + "\n\nAnswer with only a JSON object that matches this JSON Schema:\n" + text));
        String problem = null;
        for (int attempt = 0; attempt <= retries; attempt++) {
            ModelResponse r = ctx.ask(profile, new ModelRequest(messages, schema));
            try {
                return JSON.convertValue(parse(r.text()), LinkedHashMap.class);
            } catch (IllegalArgumentException e) {
                problem = e.getMessage();
                messages.add(ChatMessage.assistant(r.text()));
                messages.add(ChatMessage.user("That answer cannot be used: " + problem
                        + ". Answer again with only the JSON object, matching the schema."));
            }
        }
        throw new StepFailedException(who + " could not be used after " + (retries + 1) + " attempt" + (retries == 0 ? "" : "s")
                + ": " + problem);
    }

    JsonNode json() {
        return schema;
    }

    /** {@link #json()} as compact JSON text. */
    String text() {
        return text;
    }

    Set<String> fields() {
        Set<String> out = new java.util.LinkedHashSet<>();
        schema.get("properties").fieldNames().forEachRemaining(out::add);
        return out;
    }

    /**
     * Finds the JSON object in a model's answer (models like to wrap it in prose or code fences)
     * and checks it.
     *
     * @throws IllegalArgumentException saying what is wrong, to be shown to the model when asked again
     */
    JsonNode parse(String answer) {
        int open = answer.indexOf('{');
        int close = answer.lastIndexOf('}');
        if (open < 0 || close < open) throw new IllegalArgumentException("the answer contains no JSON object");
        JsonNode value;
        try {
            value = JSON.readTree(answer.substring(open, close + 1));
        } catch (java.io.IOException e) {
            String m = e instanceof com.fasterxml.jackson.core.JacksonException j ? j.getOriginalMessage() : e.getMessage();
            throw new IllegalArgumentException("the answer is not valid JSON: " + m);
        }
        if (quick != null && quick.surelyValid(value)) return value;
        Set<ValidationMessage> errors = validator.validate(value);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("the JSON does not match the schema: "
                    + errors.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.joining("; ")));
        }
        return value;
    }
}
