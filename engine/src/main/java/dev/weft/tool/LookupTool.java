package dev.weft.tool;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.Tool;
import dev.weft.spi.ToolConfig;
import dev.weft.spi.ToolContext;
import dev.weft.spi.ToolException;
import dev.weft.yaml.Shape;
import dev.weft.yaml.YamlValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code lookup}: finds a key in a small JSON table (an object of key to value) given in the
 * tool's settings ({@code {tool: lookup, file: data/capitals.json}}, relative to the workflow).
 * Keys match exactly, else ignoring case and surrounding spaces. The file is read when the
 * workflow loads and kept with the run. A built-in tool, registered through the same SPI as a
 * plugin's. Immutable; thread-safe.
 */
public final class LookupTool implements Tool {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_KEYS_SHOWN = 20;
    private static final Shape.Obj SETTINGS = Shape.Obj.builder(null)
            .required("file", Shape.string("A JSON file (an object: key to value), relative to the workflow file."))
            .build();
    private static final JsonNode PARAMETERS;

    static {
        try {
            PARAMETERS = JSON.readTree("""
                    {"type": "object",
                     "properties": {"key": {"type": "string", "description": "The key to look up."}},
                     "required": ["key"],
                     "additionalProperties": false}""");
        } catch (JsonProcessingException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Map<String, JsonNode> table;
    private final int version;

    public LookupTool() {
        this(Map.of(), 1);
    }

    private LookupTool(Map<String, JsonNode> table, int version) {
        this.table = table;
        this.version = version;
    }

    /** Derived from the table file's content: an edited table is not answered from old results. */
    @Override
    public int version() {
        return version;
    }

    @Override
    public String name() {
        return "lookup";
    }

    @Override
    public String description() {
        return "Looks up a key in a table and returns its value.";
    }

    @Override
    public JsonNode parameters() {
        return PARAMETERS;
    }

    @Override
    public Shape.Obj settings() {
        return SETTINGS;
    }

    @Override
    public Tool configure(ToolConfig config) {
        YamlValue file = config.yaml().get("file");
        if (file == null) return null; // reported by the settings check
        String text = config.readFile(file);
        if (text == null) return null;
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            config.problems().add(file.location(), "node '" + config.nodeName() + "': tool lookup: " + ((YamlValue.Scalar) file).text()
                    + " is not valid JSON: " + e.getOriginalMessage());
            return null;
        }
        if (root == null || !root.isObject()) {
            config.problems().add(file.location(), "node '" + config.nodeName() + "': tool lookup: " + ((YamlValue.Scalar) file).text()
                    + " must hold a JSON object of key to value, e.g. {\"France\": \"Paris\"}");
            return null;
        }
        Map<String, JsonNode> t = new LinkedHashMap<>();
        root.fields().forEachRemaining(e -> t.put(e.getKey(), e.getValue()));
        return new LookupTool(Collections.unmodifiableMap(t), contentVersion(text));
    }

    static int contentVersion(String text) {
        byte[] h = dev.weft.internal.Digests.sha256(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return ((h[0] & 0x7f) << 24) | ((h[1] & 0xff) << 16) | ((h[2] & 0xff) << 8) | (h[3] & 0xff);
    }

    @Override
    public String call(JsonNode arguments, ToolContext context) {
        String key = arguments.get("key").asText();
        JsonNode v = table.get(key);
        if (v == null) {
            String wanted = key.trim().toLowerCase(Locale.ROOT);
            for (Map.Entry<String, JsonNode> e : table.entrySet()) {
                if (e.getKey().trim().toLowerCase(Locale.ROOT).equals(wanted)) {
                    v = e.getValue();
                    break;
                }
            }
        }
        if (v == null) {
            List<String> keys = new ArrayList<>(table.keySet());
            String shown = String.join(", ", keys.subList(0, Math.min(MAX_KEYS_SHOWN, keys.size())))
                    + (keys.size() > MAX_KEYS_SHOWN ? ", ..." : "");
            throw new ToolException("no entry for '" + key + "'" + (keys.isEmpty() ? "; the table is empty" : "; keys are: " + shown));
        }
        return v.isTextual() ? v.asText() : v.toString();
    }
}
