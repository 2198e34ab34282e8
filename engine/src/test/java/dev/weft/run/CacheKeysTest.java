package dev.weft.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.weft.model.ChatMessage;
import dev.weft.model.ModelProfile;
import dev.weft.model.ModelRequest;
import dev.weft.model.ToolCall;
import dev.weft.model.ToolSpec;
import dev.weft.workflow.Location;
import dev.weft.workflow.NodeDef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The request JSON stays what it was; the key changes whenever anything that decides the answer changes. */
class CacheKeysTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Location AT = new Location("wf.yaml", 1, 1);

    private static NodeDef node(String name, String kind, int version, String identity) {
        return new NodeDef(name, kind, version, null, true, identity, AT);
    }

    private static ModelProfile profile(String model, Double temperature, Double topP, Integer maxTokens, Integer seed) {
        return new ModelProfile("writer", ModelProfile.OPENAI, model, "http://127.0.0.1:9/v1", null, temperature, topP, maxTokens, seed,
                8, null, null, Duration.ofSeconds(30), 2, Duration.ofMillis(100), 0, 0, AT);
    }

    private static final NodeDef NODE = node("answer", "llm", 1, "{\"prompt\":\"Answer: {{ q }}\"}");
    private static final ModelProfile PROFILE = profile("m", 0.7, null, 200, null);

    @Test
    void theRequestJsonIsTheCanonicalJsonOfItsFields() throws Exception {
        Random r = new Random(3);
        for (int i = 0; i < 500; i++) {
            ModelRequest request = request(r);
            assertEquals(oldRequestJson(request), CacheKeys.requestJson(request), request.toString());
        }
    }

    @Test
    void theKeyChangesWithEverythingThatDecidesTheAnswer() {
        String base = CacheKeys.key(NODE, PROFILE, "{\"messages\":[]}", "r1", 1, 0);
        assertEquals(base, CacheKeys.key(node("answer", "llm", 1, "{\"prompt\":\"Answer: {{ q }}\"}"), profile("m", 0.7, null, 200, null),
                "{\"messages\":[]}", "r1", 1, 0), "equal configurations in other objects give the same key");
        List<String> variants = List.of(
                CacheKeys.key(node("answer2", "llm", 1, NODE.identity()), PROFILE, "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(node("answer", "judge", 1, NODE.identity()), PROFILE, "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(node("answer", "llm", 2, NODE.identity()), PROFILE, "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(node("answer", "llm", 1, "{\"prompt\":\"Answer:{{ q }}\"}"), PROFILE, "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(node("answer", "llm", 1, null), PROFILE, "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(NODE, profile("m2", 0.7, null, 200, null), "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(NODE, profile("m", 0.8, null, 200, null), "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(NODE, profile("m", 0.7, 0.9, 200, null), "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(NODE, profile("m", 0.7, null, 201, null), "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(NODE, profile("m", 0.7, null, 200, 5), "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(NODE, PROFILE.simulated(), "{\"messages\":[]}", "r1", 1, 0),
                CacheKeys.key(NODE, PROFILE, "{\"messages\":[1]}", "r1", 1, 0),
                CacheKeys.key(NODE, PROFILE, "{\"messages\":[]}", "r2", 1, 0),
                CacheKeys.key(NODE, PROFILE, "{\"messages\":[]}", "r1", 2, 0),
                CacheKeys.key(NODE, PROFILE, "{\"messages\":[]}", "r1", 1, 1),
                CacheKeys.toolKey(NODE, "r1", 1, 0, 0, "search", "{\"messages\":[]}"));
        Set<String> all = new HashSet<>(variants);
        all.add(base);
        assertEquals(variants.size() + 1, all.size(), "every change gives a new key: " + variants);
    }

    @Test
    void runtimeKnobsDoNotChangeTheKey() {
        ModelProfile elsewhere = new ModelProfile("other-name", ModelProfile.OPENAI, "m", "http://10.0.0.1/v1", "KEY_ENV", 0.7, null, 200, null,
                64, 100, 10_000, Duration.ofSeconds(5), 9, Duration.ofSeconds(2), 1.5, 2.5, new Location("x.yaml", 9, 9));
        assertEquals(CacheKeys.key(NODE, PROFILE, "{}", "r1", 1, 0), CacheKeys.key(NODE, elsewhere, "{}", "r1", 1, 0));
    }

    @Test
    void fieldsCannotRunIntoEachOther() {
        // The same characters split differently between neighbouring fields are different keys.
        assertNotEquals(CacheKeys.key(NODE, PROFILE, "{}", "ab", 1, 0), CacheKeys.key(NODE, PROFILE, "{}a", "b", 1, 0));
        assertNotEquals(CacheKeys.key(node("ab", "llm", 1, "x"), PROFILE, "{}", "r", 1, 0),
                CacheKeys.key(node("a", "bllm", 1, "x"), PROFILE, "{}", "r", 1, 0));
        assertNotEquals(CacheKeys.toolKey(NODE, "r", 1, 0, 0, "ab", "c"), CacheKeys.toolKey(NODE, "r", 1, 0, 0, "a", "bc"));
        assertNotEquals(CacheKeys.toolKey(NODE, "r", 1, 0, 0, "t", "x"), CacheKeys.toolKey(NODE, "r", 1, 0, 1, "t", "x"));
        assertNotEquals(CacheKeys.toolKey(NODE, "r", 1, 0, 0, "t", "x"), CacheKeys.toolKey(NODE, "r", 1, 1, 0, "t", "x"));
        assertEquals(64, CacheKeys.key(NODE, PROFILE, "{}", "r", 1, 0).length());
    }

    // ---- requests, and the map-based canonical JSON the request JSON has always been

    private static ModelRequest request(Random r) throws Exception {
        String[] texts = {"Hello", "", "é 漢字 🙂 \"quoted\" \\ back\nslash\t", "{\"json\": 1}", "</script>",
                "\u0000\u0001\u0008\u000B\u000C\r\u001F\u007F\u0080\u2028\u2029 / \uD800 lone \uDC00", "\\u00e9 \\\"", "\uFEFF"};
        // (a message's text is never null; a tool call's arguments may be)
        List<ChatMessage> messages = new ArrayList<>();
        int n = 1 + r.nextInt(4);
        for (int i = 0; i < n; i++) {
            String text = texts[r.nextInt(texts.length)];
            switch (r.nextInt(5)) {
                case 0 -> messages.add(ChatMessage.system(text));
                case 1 -> messages.add(ChatMessage.user(text));
                case 2 -> messages.add(ChatMessage.assistant(text));
                case 3 -> messages.add(ChatMessage.assistant(text, List.of(new ToolCall("call_" + i, "search", "{\"q\":\"" + i + "\"}"),
                        new ToolCall("c2", "calc", r.nextBoolean() ? "{}" : null))));
                default -> messages.add(ChatMessage.toolResult(new ToolCall("call_" + i, r.nextBoolean() ? "search" : "s\u00e9", "{}"), text));
            }
        }
        JsonNode schema = r.nextBoolean() ? null
                : JSON.readTree("{\"type\":\"object\",\"required\":[\"score\"],\"properties\":{\"score\":{\"type\":\"integer\",\"minimum\":1},\"a\":null}}");
        List<ToolSpec> tools = new ArrayList<>();
        if (r.nextBoolean()) {
            tools.add(new ToolSpec("search", "Searches the web", JSON.readTree("{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}")));
            tools.add(new ToolSpec("calc", r.nextBoolean() ? "" : "é", r.nextBoolean() ? JSON.readTree("{}") : JSON.readTree("{\"z\":1,\"a\":[2,null]}")));
        }
        return new ModelRequest(messages, schema, tools);
    }

    private static final ObjectMapper CANONICAL = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private static String oldRequestJson(ModelRequest request) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        List<Map<String, Object>> messages = new ArrayList<>();
        for (ChatMessage m : request.messages()) {
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", m.role().name().toLowerCase());
            msg.put("content", m.text());
            if (!m.toolCalls().isEmpty()) msg.put("tool_calls", oldCalls(m.toolCalls()));
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
        return CANONICAL.writeValueAsString(r);
    }

    private static List<Map<String, Object>> oldCalls(List<ToolCall> calls) {
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
}
