package dev.weft.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The one JSON mapper of the dashboard, and small builders. Thread-safe. */
final class Json {
    static final ObjectMapper M = new ObjectMapper();

    private Json() {}

    static ObjectNode obj() {
        return M.createObjectNode();
    }

    static ArrayNode arr() {
        return M.createArrayNode();
    }

    static String write(JsonNode n) {
        try {
            return M.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses stored JSON; text that is not JSON comes back as a string node, never as an error. */
    static JsonNode parseOrText(String s) {
        if (s == null) return M.nullNode();
        try {
            return M.readTree(s);
        } catch (JsonProcessingException e) {
            return M.getNodeFactory().textNode(s);
        }
    }
}
