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
 * prices) and secrets never enter it. Stateless; thread-safe.
 */
final class CacheKeys {
    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private CacheKeys() {}

    /**
     * The request as canonical JSON: the cache key's "request" and the trace's record of it. Tool
     * calls, tool results and offered tools appear only when present, so a request without them
     * has the same JSON (and key) it always had.
     */
    static String requestJson(ModelRequest request) {
        Map<String, Object> r = new LinkedHashMap<>();
        List<Map<String, Object>> messages = new ArrayList<>();
        for (ChatMessage m : request.messages()) {
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", m.role().name().toLowerCase());
            msg.put("content", m.text());
            if (!m.toolCalls().isEmpty()) msg.put("tool_calls", calls(m.toolCalls()));
            if (m.toolCallId() != null) {
                msg.put("tool_call_id", m.toolCallId());
                msg.put("name", m.toolName());
            }
            messages.add(msg);
        }
        r.put("messages", messages);
        if (request.answerSchema() != null) r.put("answer_schema", request.answerSchema());
        if (!request.tools().isEmpty()) {
            List<Map<String, Object>> tools = new ArrayList<>();
            for (ToolSpec t : request.tools()) {
                Map<String, Object> spec = new LinkedHashMap<>();
                spec.put("name", t.name());
                spec.put("description", t.description());
                spec.put("parameters", t.parameters());
                tools.add(spec);
            }
            r.put("tools", tools);
        }
        try {
            return CANONICAL.writeValueAsString(r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
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
        Map<String, Object> k = nodeAndSample(node, recordId, visit, modelCalls);
        k.put("tool", tool);
        k.put("input", input);
        k.put("tool_call", toolCall);
        return hash(k);
    }

    static String key(NodeDef node, ModelProfile profile, String requestJson, String recordId, int visit, int call) {
        Map<String, Object> k = nodeAndSample(node, recordId, visit, call);
        k.put("generation", profile.generationParameters());
        k.put("request", requestJson);
        return hash(k);
    }

    /** What every key holds: the node (name, kind and version, configuration) and which sample it is. */
    private static Map<String, Object> nodeAndSample(NodeDef node, String recordId, int visit, int call) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("node_name", node.name());
        k.put("kind", node.kind());
        k.put("kind_version", node.kindVersion());
        k.put("node", node.identity());
        k.put("record", recordId);
        k.put("visit", visit);
        k.put("call", call);
        return k;
    }

    /** SHA-256 of the key's canonical JSON (entries sorted by name, so insertion order does not matter). */
    private static String hash(Map<String, Object> k) {
        try {
            return HexFormat.of().formatHex(Digests.sha256(CANONICAL.writeValueAsBytes(k)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
