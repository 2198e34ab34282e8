package dev.weft.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.weft.workflow.Problems;
import dev.weft.yaml.YamlValue;
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
 */
final class AnswerSchema {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final Pattern TYPE = Pattern.compile("(integer|number|string|boolean)(?:\\s+(-?\\d+(?:\\.\\d+)?)\\s*\\.\\.\\s*(-?\\d+(?:\\.\\d+)?))?");
    private final ObjectNode schema;
    private final JsonSchema validator;

    private AnswerSchema(ObjectNode schema) {
        this.schema = schema;
        this.validator = FACTORY.getSchema(schema);
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
        ObjectNode s = JSON.createObjectNode();
        s.put("type", "object");
        ObjectNode props = s.putObject("properties");
        var required = s.putArray("required");
        if (spec == null) {
            props.set("score", JSON.createObjectNode().put("type", "integer").put("minimum", 1).put("maximum", 10));
            props.set("reason", JSON.createObjectNode().put("type", "string"));
            required.add("score").add("reason");
        } else {
            for (Map.Entry<String, YamlValue> e : spec.entries().entrySet()) {
                ObjectNode p = property(e.getValue(), node, e.getKey(), problems);
                if (p != null) {
                    props.set(e.getKey(), p);
                    required.add(e.getKey());
                }
            }
        }
        s.put("additionalProperties", false);
        return new AnswerSchema(s);
    }

    private static ObjectNode property(YamlValue v, String node, String field, Problems problems) {
        if (v instanceof YamlValue.Sequence seq) {
            ObjectNode p = JSON.createObjectNode();
            var values = p.putArray("enum");
            seq.items().forEach(i -> values.add(i instanceof YamlValue.Scalar sc ? sc.text() : String.valueOf(i.toPlain())));
            return p;
        }
        String text = v instanceof YamlValue.Scalar sc ? sc.text().trim() : "";
        Matcher m = TYPE.matcher(text);
        if (!m.matches()) {
            problems.add(v.location(), "node '" + node + "': output field '" + field + "' must be a type: string, boolean, integer,"
                    + " integer 1..10, number, number 0..1, or a list of allowed values; found '" + text + "'");
            return null;
        }
        ObjectNode p = JSON.createObjectNode().put("type", m.group(1));
        if (m.group(2) != null) {
            if (m.group(1).equals("integer")) {
                try {
                    p.put("minimum", Long.parseLong(m.group(2).split("\\.")[0]));
                    p.put("maximum", Long.parseLong(m.group(3).split("\\.")[0]));
                } catch (NumberFormatException e) { // digits beyond a long: a problem to report, not a crash
                    problems.add(v.location(), "node '" + node + "': output field '" + field + "': the range's ends must be between "
                            + Long.MIN_VALUE + " and " + Long.MAX_VALUE);
                    return null;
                }
            } else if (m.group(1).equals("number")) {
                p.put("minimum", Double.parseDouble(m.group(2)));
                p.put("maximum", Double.parseDouble(m.group(3)));
            } else {
                problems.add(v.location(), "node '" + node + "': a range fits only integer or number fields");
                return null;
            }
            if (p.get("minimum").asDouble() > p.get("maximum").asDouble()) {
                problems.add(v.location(), "node '" + node + "': output field '" + field + "': the range's lower end is above its upper end");
                return null;
            }
        }
        return p;
    }

    JsonNode json() {
        return schema;
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
        Set<ValidationMessage> errors = validator.validate(value);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("the JSON does not match the schema: "
                    + errors.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.joining("; ")));
        }
        return value;
    }
}
