package dev.weft.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.model.ChatMessage;
import dev.weft.model.ModelProfile;
import dev.weft.model.ModelRequest;
import dev.weft.model.ModelResponse;
import dev.weft.model.ToolCall;
import dev.weft.model.ToolSpec;
import dev.weft.workflow.NodeDef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ConcurrentHashMap;
import dev.weft.internal.Digests;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The content address of a model call: SHA-256 over the node's kind, version and configuration,
 * the profile's generation parameters, the fully rendered request, and which sample it is (record
 * id, visit, call within the step). Runtime knobs (where the server is, concurrency, limits,
 * prices) and secrets never enter it. The fields are hashed in a fixed order, each string as its
 * length and bytes, so different fields never give the same bytes ("v2" keys: a store written by
 * an earlier version misses its cache once). Thread-safe.
 */
final class CacheKeys {
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private static final ConcurrentHashMap<Identity, String> TREE_TEXT = new ConcurrentHashMap<>();
    /** Digests that have taken in a node's (and profile's) part of the key; cloned per key. */
    private static final ConcurrentHashMap<Prefix, MessageDigest> PREFIXES = new ConcurrentHashMap<>();

    private CacheKeys() {}

    /**
     * The request as canonical JSON: the cache key's "request" and the trace's record of it. Tool
     * calls, tool results and offered tools appear only when present, so a request without them
     * has the same JSON (and key) it always had. Written by hand, field by field in name order,
     * exactly as Jackson writes a map of the same entries sorted by name (tested against it).
     */
    static String requestJson(ModelRequest request) {
        StringBuilder j = new StringBuilder(256);
        j.append('{');
        if (request.answerSchema() != null) j.append("\"answer_schema\":").append(treeText(request.answerSchema())).append(',');
        j.append("\"messages\":[");
        boolean first = true;
        for (ChatMessage m : request.messages()) {
            if (!first) j.append(',');
            first = false;
            j.append("{\"content\":");
            quote(j, m.text());
            if (m.toolCallId() != null) quote(j.append(",\"name\":"), m.toolName());
            quote(j.append(",\"role\":"), m.role().name().toLowerCase());
            if (m.toolCallId() != null) quote(j.append(",\"tool_call_id\":"), m.toolCallId());
            if (!m.toolCalls().isEmpty()) writeCalls(j.append(",\"tool_calls\":"), m.toolCalls());
            j.append('}');
        }
        j.append(']');
        if (!request.tools().isEmpty()) {
            j.append(",\"tools\":[");
            first = true;
            for (ToolSpec t : request.tools()) {
                if (!first) j.append(',');
                first = false;
                quote(j.append("{\"description\":"), t.description());
                quote(j.append(",\"name\":"), t.name());
                j.append(",\"parameters\":").append(treeText(t.parameters())).append('}');
            }
            j.append(']');
        }
        return j.append('}').toString();
    }

    private static void writeCalls(StringBuilder j, List<ToolCall> calls) {
        j.append('[');
        boolean first = true;
        for (ToolCall c : calls) {
            if (!first) j.append(',');
            first = false;
            quote(j.append("{\"arguments\":"), c.arguments());
            quote(j.append(",\"id\":"), c.id());
            quote(j.append(",\"name\":"), c.name());
            j.append('}');
        }
        j.append(']');
    }

    /**
     * A JSON string as Jackson writes it by default: quotes and backslashes escaped, control
     * characters as \b \t \n \f \r or \\u00XX, everything else (non-ASCII too) as it is; null as null.
     */
    static void quote(StringBuilder j, String s) {
        if (s == null) {
            j.append("null");
            return;
        }
        j.append('"');
        int from = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            j.append(s, from, i);
            from = i + 1;
            switch (c) {
                case '"' -> j.append("\\\"");
                case '\\' -> j.append("\\\\");
                case '\b' -> j.append("\\b");
                case '\t' -> j.append("\\t");
                case '\n' -> j.append("\\n");
                case '\f' -> j.append("\\f");
                case '\r' -> j.append("\\r");
                default -> j.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
        }
        j.append(s, from, s.length()).append('"');
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /**
     * A JSON tree's compact text (what Jackson writes for it), kept per tree object: a judge sends
     * the same answer schema object with every request. Trees are never changed once built.
     */
    private static String treeText(JsonNode tree) {
        if (tree == null) return "null";
        String text = TREE_TEXT.get(new Identity(tree));
        if (text == null) {
            text = tree.toString();
            if (TREE_TEXT.size() >= 1024) TREE_TEXT.clear();
            TREE_TEXT.put(new Identity(tree), text);
        }
        return text;
    }

    /** An object compared by identity (a JSON tree's equals walks the whole tree). */
    private record Identity(Object o) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Identity i && i.o == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(o);
        }
    }

    private static List<Map<String, Object>> calls(List<ToolCall> calls) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ToolCall c : calls) {
            Map<String, Object> call = new LinkedHashMap<>();
            call.put("id", c.id());
            call.put("name", c.name());
            call.put("arguments", c.arguments());
            out.add(call);
        }
        return out;
    }

    /**
     * What the cache keeps of an answer. For a request without tools, the answer's text (as ever);
     * for one that offers tools, canonical JSON {@code {"text": ..., "tool_calls": [...]}}, so a
     * replay gets the very tool calls the model made. Which one a row holds follows from its request.
     */
    static String responseJson(ModelRequest request, ModelResponse response) {
        if (request.tools().isEmpty()) return response.text();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("text", response.text());
        r.put("tool_calls", calls(response.toolCalls()));
        try {
            return CANONICAL.writeValueAsString(r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The answer {@link #responseJson} kept, with the token counts remembered beside it. */
    static ModelResponse response(ModelRequest request, String stored, int tokensIn, int tokensOut) {
        if (request.tools().isEmpty()) return new ModelResponse(stored, tokensIn, tokensOut, "cached");
        try {
            JsonNode r = CANONICAL.readTree(stored);
            List<ToolCall> calls = new ArrayList<>();
            for (JsonNode c : r.path("tool_calls")) calls.add(new ToolCall(c.path("id").asText(), c.path("name").asText(), c.path("arguments").asText()));
            return new ModelResponse(r.path("text").asText(""), tokensIn, tokensOut, "cached", calls);
        } catch (IOException e) {
            throw new IllegalStateException("a remembered tool-use answer is not the JSON it was stored as: " + e.getMessage(), e);
        }
    }

    /**
     * The content address of one tool call made inside a step: the node's identity, the record and
     * visit, where in the step's trajectory the call is (the model calls made before it and the
     * tool calls before it), and the tool's name and arguments. No model profile: a tool's result
     * does not depend on which model asked.
     */
    static String toolKey(NodeDef node, String recordId, int visit, int modelCalls, int toolCall, String tool, String input) {
        MessageDigest d = start(node, null);
        text(d, recordId);
        number(d, visit);
        number(d, modelCalls);
        text(d, tool);
        text(d, input);
        number(d, toolCall);
        return HexFormat.of().formatHex(d.digest());
    }

    static String key(NodeDef node, ModelProfile profile, String requestJson, String recordId, int visit, int call) {
        MessageDigest d = start(node, profile);
        text(d, requestJson);
        text(d, recordId);
        number(d, visit);
        number(d, call);
        return HexFormat.of().formatHex(d.digest());
    }

    /**
     * A digest that has already taken in what every key of this node (and profile) shares: the
     * kind of key, the node's name, kind and version and configuration, and the profile's
     * generation parameters. Kept per node and profile object, and cloned for each key.
     */
    private static MessageDigest start(NodeDef node, ModelProfile profile) {
        Prefix p = new Prefix(node, profile);
        MessageDigest prefix = PREFIXES.get(p);
        if (prefix == null) {
            prefix = Digests.sha256();
            text(prefix, profile == null ? "weft tool key v2" : "weft model key v2");
            text(prefix, node.name());
            text(prefix, node.kind());
            number(prefix, node.kindVersion());
            text(prefix, node.identity());
            if (profile != null) {
                try {
                    text(prefix, CANONICAL.writeValueAsString(profile.generationParameters()));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            // Node and profile objects live as long as their run; a long-lived process (the
            // dashboard) makes new ones for every run, so the map is emptied now and then.
            if (PREFIXES.size() >= 1024) PREFIXES.clear();
            PREFIXES.put(p, prefix);
        }
        try {
            return (MessageDigest) prefix.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("this Java runtime's SHA-256 cannot be cloned", e);
        }
    }

    /**
     * A string as its UTF-8 length and bytes, so that the concatenation of fields is injective
     * (no two different field lists give the same bytes); null has its own length, -1.
     */
    private static void text(MessageDigest d, String s) {
        if (s == null) {
            number(d, -1);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        number(d, b.length);
        d.update(b);
    }

    private static void number(MessageDigest d, int n) {
        d.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    }

    /** A node and a profile, by identity (their equals compares whole configurations). */
    private record Prefix(NodeDef node, ModelProfile profile) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Prefix p && p.node == node && p.profile == profile;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(node) * 31 + System.identityHashCode(profile);
        }
    }
}
