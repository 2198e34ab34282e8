package dev.weft.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.weft.model.ChatMessage;
import dev.weft.model.ModelProfile;
import dev.weft.model.ModelRequest;
import dev.weft.workflow.NodeDef;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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

    static String requestJson(ModelRequest request) {
        Map<String, Object> r = new LinkedHashMap<>();
        List<Map<String, String>> messages = new ArrayList<>();
        for (ChatMessage m : request.messages()) messages.add(Map.of("role", m.role().name().toLowerCase(), "content", m.text()));
        r.put("messages", messages);
        if (request.answerSchema() != null) r.put("answer_schema", request.answerSchema());
        try {
            return CANONICAL.writeValueAsString(r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String key(NodeDef node, ModelProfile profile, String requestJson, String recordId, int visit, int call) {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("node_name", node.name());
        k.put("kind", node.kind());
        k.put("kind_version", node.kindVersion());
        k.put("node", node.identity());
        k.put("generation", profile.generationParameters());
        k.put("request", requestJson);
        k.put("record", recordId);
        k.put("visit", visit);
        k.put("call", call);
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(CANONICAL.writeValueAsBytes(k));
            return HexFormat.of().formatHex(h);
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
