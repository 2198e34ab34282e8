package dev.weft.node;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.weft.spi.StepFailedException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads the function specs a record holds (an agent's {@code tools: [{from: EXPR, ...}]}) into
 * checked {@link Spec}s, or fails the record with a message that says which item is wrong and how.
 *
 * <p>Accepted: a list, or JSON text holding one (a fenced {@code ```json} block too, as models
 * write it), of OpenAI function specs: {@code {name, description, parameters}} or
 * {@code {type: function, function: {name, description, parameters}}}. {@code parameters} is a
 * JSON Schema object ({@code {"type": "object", ...}}), JSON text holding one, a list of parameters
 * ({@code [{name, type, description, required}, ...]}: what structured output can express, since
 * a schema's {@code properties} map has free keys; an {@code array} without {@code items} holds
 * texts), or absent (no arguments). Other keys are left
 * out of what the model is shown. Stateless; thread-safe.
 */
final class FunctionSpecs {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    /** OpenAI's rule for function names. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** One function as the model is shown it: a valid name, a description (maybe empty), an object schema. */
    record Spec(String name, String description, ObjectNode parameters) {
        /** {"name", "description", "parameters"} as compact JSON: what the simulator workflow reads as `spec`. */
        String json() {
            ObjectNode o = JSON.createObjectNode();
            o.put("name", name);
            o.put("description", description);
            o.set("parameters", parameters);
            return o.toString();
        }
    }

    private FunctionSpecs() {}

    /** The draft 2020-12 meta-schema (bundled with the validator), built on first use: what a `parameters` schema must satisfy. */
    private static final class Meta {
        static final JsonSchema SCHEMA;

        static {
            SCHEMA = SCHEMAS.getSchema(SchemaLocation.of(SchemaId.V202012));
            SCHEMA.initializeValidators();
        }
    }

    /**
     * @param value  what the {@code from} expression gave for this record (plain values or text)
     * @param source the expression as written, for messages
     * @throws StepFailedException when the value is not a usable list of function specs
     */
    static List<Spec> read(Object value, String source) {
        String from = "`from: " + source + "`";
        JsonNode list = value instanceof String text ? parse(text, from + " gave text that") : JSON.valueToTree(value);
        if (list == null || list.isNull() || list.isMissingNode()) {
            throw new StepFailedException(from + " gave nothing for this record; it must give a list of function specs"
                    + " ({name, description, parameters})");
        }
        if (!list.isArray()) {
            throw new StepFailedException(from + " must give a list of function specs ({name, description, parameters}), found "
                    + describe(list));
        }
        List<Spec> specs = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Spec s = spec(list.get(i), from + ", item " + (i + 1));
            Integer before = seen.putIfAbsent(s.name(), i + 1);
            if (before != null) {
                throw new StepFailedException(from + ": items " + before + " and " + (i + 1) + " are both named '" + s.name()
                        + "'; function names must be unique");
            }
            specs.add(s);
        }
        return specs;
    }

    private static Spec spec(JsonNode item, String where) {
        if (item.isObject() && "function".equals(item.path("type").asText(null)) && item.has("function")) item = item.get("function");
        if (!item.isObject()) throw new StepFailedException(where + " must be a function spec ({name, description, parameters}), found " + describe(item));
        JsonNode name = item.get("name");
        if (name == null || name.isNull()) throw new StepFailedException(where + " has no `name`");
        if (!name.isTextual() || !NAME.matcher(name.asText()).matches()) {
            throw new StepFailedException(where + ": function name " + (name.isTextual() ? "'" + name.asText() + "'" : describe(name))
                    + " must be 1 to 64 letters, digits, _ or -");
        }
        where += " ('" + name.asText() + "')";
        JsonNode description = item.get("description");
        if (description != null && !description.isNull() && !description.isTextual()) {
            throw new StepFailedException(where + ": `description` must be text, found " + describe(description));
        }
        ObjectNode parameters = parameters(item.get("parameters"), where);
        return new Spec(name.asText(), description == null || description.isNull() ? "" : description.asText(), parameters);
    }

    private static ObjectNode parameters(JsonNode p, String where) {
        if (p == null || p.isNull()) {
            ObjectNode none = JSON.createObjectNode().put("type", "object");
            none.putObject("properties");
            return none;
        }
        if (p.isTextual()) p = parse(p.asText(), where + ": `parameters` is text that");
        if (p.isArray()) p = fromList((ArrayNode) p, where);
        if (!p.isObject() || !"object".equals(p.path("type").asText(null))) {
            throw new StepFailedException(where + ": `parameters` must be a JSON Schema object ({\"type\": \"object\", \"properties\":"
                    + " {...}}) or a list of parameters ({name, type, description, required}), found " + abbreviated(p));
        }
        if (p.has("properties") && !p.get("properties").isObject()) {
            throw new StepFailedException(where + ": `parameters.properties` must map each parameter's name to its schema, found "
                    + describe(p.get("properties")));
        }
        // A required parameter the schema does not define could never be given: every call would fail, and the
        // trajectory would still look like valid tool-use data.
        if (p.path("required").isArray()) {
            for (JsonNode r : p.get("required")) {
                if (r.isTextual() && !p.path("properties").has(r.asText())) {
                    throw new StepFailedException(where + ": `required` names '" + r.asText() + "', which `parameters.properties` does not define");
                }
            }
        }
        Set<ValidationMessage> invalid = Meta.SCHEMA.validate(p);
        if (!invalid.isEmpty()) {
            throw new StepFailedException(where + ": `parameters` is not a valid JSON Schema: "
                    + invalid.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.joining("; ")));
        }
        try {
            SCHEMAS.getSchema(p).initializeValidators();
        } catch (RuntimeException e) {
            throw new StepFailedException(where + ": `parameters` is not a usable JSON Schema: " + e.getMessage());
        }
        return (ObjectNode) p;
    }

    /** [{name, required, ...its schema}] as an object schema: the list form structured output can give. */
    private static ObjectNode fromList(ArrayNode list, String where) {
        ObjectNode schema = JSON.createObjectNode().put("type", "object");
        ObjectNode properties = schema.putObject("properties");
        ArrayNode required = JSON.createArrayNode();
        for (int i = 0; i < list.size(); i++) {
            JsonNode p = list.get(i);
            String at = where + ", parameter " + (i + 1);
            if (!p.isObject()) throw new StepFailedException(at + " must be {name, type, description, required}, found " + describe(p));
            JsonNode name = p.get("name");
            if (name == null || !name.isTextual() || name.asText().isBlank()) throw new StepFailedException(at + " has no `name`");
            if (properties.has(name.asText())) throw new StepFailedException(at + ": two parameters are named '" + name.asText() + "'");
            JsonNode req = p.get("required");
            if (req != null && !req.isNull() && !req.isBoolean()) {
                throw new StepFailedException(at + " ('" + name.asText() + "'): `required` must be true or false, found " + describe(req));
            }
            ObjectNode property = properties.putObject(name.asText());
            for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().equals("name") && !e.getKey().equals("required")) property.set(e.getKey(), e.getValue());
            }
            // The compact form has no room for item schemas: a list is a list of texts unless it says otherwise.
            if ("array".equals(property.path("type").asText(null)) && !property.has("items")) property.putObject("items").put("type", "string");
            if (req != null && req.asBoolean()) required.add(name.asText());
        }
        if (!required.isEmpty()) schema.set("required", required);
        return schema;
    }

    /** JSON text (a fenced block too) as a tree; a message naming {@code what} when it is not JSON. */
    private static JsonNode parse(String text, String what) {
        String t = text.strip();
        if (t.startsWith("```")) {
            int firstLine = t.indexOf('\n');
            int close = t.lastIndexOf("```");
            if (firstLine > 0 && close > firstLine) t = t.substring(firstLine + 1, close).strip();
        }
        try {
            JsonNode n = JSON.readTree(t);
            if (n == null || n.isMissingNode()) throw new StepFailedException(what + " is empty; it must be JSON");
            return n;
        } catch (JacksonException e) {
            throw new StepFailedException(what + " is not JSON (" + e.getOriginalMessage() + "): " + abbreviate(text));
        }
    }

    private static String describe(JsonNode n) {
        if (n.isObject()) return "an object";
        if (n.isArray()) return "a list";
        if (n.isTextual()) return "the text " + abbreviate(n.toString());
        return n.isNull() ? "null" : n.isBoolean() ? "the boolean " + n : n.isNumber() ? "the number " + n : n.getNodeType().toString().toLowerCase();
    }

    private static String abbreviated(JsonNode n) {
        return n.isContainerNode() ? abbreviate(n.toString()) : describe(n);
    }

    private static String abbreviate(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() > 80 ? one.substring(0, 77) + "..." : one;
    }
}
