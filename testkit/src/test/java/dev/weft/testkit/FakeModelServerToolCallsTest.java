package dev.weft.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** OpenAI (and Ollama) tool calling on the fake server: default and scripted calls, then text. */
class FakeModelServerToolCallsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private FakeModelServer server;

    @BeforeEach
    void start() {
        server = FakeModelServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static ObjectNode request(String user) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("model", "gpt-test");
        body.putArray("messages").addObject().put("role", "user").put("content", user);
        ArrayNode tools = body.putArray("tools");
        ObjectNode fn = tools.addObject().put("type", "function").putObject("function");
        fn.put("name", "add").put("description", "Adds.");
        fn.set("parameters", JSON.readTree("""
                {"type": "object", "properties": {"a": {"type": "integer", "minimum": 1, "maximum": 9}, "b": {"type": "integer"}},
                 "required": ["a", "b"]}"""));
        tools.addObject().put("type", "function").putObject("function").put("name", "other").putObject("parameters").put("type", "object");
        return body;
    }

    private JsonNode post(String path, JsonNode body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The conversation with the answer's message and one tool result per call appended. */
    private static ObjectNode withResults(ObjectNode body, JsonNode message, String result) {
        ObjectNode next = body.deepCopy();
        ArrayNode messages = (ArrayNode) next.get("messages");
        messages.add(message);
        for (JsonNode call : message.get("tool_calls")) {
            messages.addObject().put("role", "tool").put("tool_call_id", call.get("id").asText()).put("content", result);
        }
        return next;
    }

    @Test
    void byDefaultCallsTheFirstToolOnceWithArgumentsFromItsSchemaThenAnswersInText() throws Exception {
        ObjectNode body = request("Add two numbers.");
        JsonNode r = post("/v1/chat/completions", body);
        JsonNode choice = r.at("/choices/0");
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        JsonNode message = choice.get("message");
        assertTrue(message.get("content").isNull());
        JsonNode call = message.at("/tool_calls/0");
        assertEquals("function", call.get("type").asText());
        assertEquals("add", call.at("/function/name").asText());
        JsonNode args = JSON.readTree(call.at("/function/arguments").asText());
        assertTrue(args.get("a").asInt() >= 1 && args.get("a").asInt() <= 9, args.toString());
        assertTrue(args.get("b").isIntegralNumber());
        assertEquals(message, post("/v1/chat/completions", body).at("/choices/0/message"), "the same request, the same calls");

        JsonNode text = post("/v1/chat/completions", withResults(body, message, "12"));
        assertEquals("stop", text.at("/choices/0/finish_reason").asText());
        assertTrue(text.at("/choices/0/message/content").asText().startsWith("Done with the tools; the last result was: 12"), text.toString());
        assertFalse(text.at("/choices/0/message").has("tool_calls"));
    }

    @Test
    void scriptedTurnsAreAnsweredInOrderThenTheAnswerRuleGivesTheText() throws Exception {
        server.toolCalls("Add", "add {\"a\": 1, \"b\": 2}\nother {}", "add {\"a\": 3, \"b\": 4}").answer("Add", "Seven.");
        ObjectNode body = request("Add 1 and 2, then 3 and 4.");
        JsonNode first = post("/v1/chat/completions", body).at("/choices/0/message");
        assertEquals(2, first.get("tool_calls").size());
        assertEquals("{\"a\": 1, \"b\": 2}", first.at("/tool_calls/0/function/arguments").asText());
        assertEquals("other", first.at("/tool_calls/1/function/name").asText());
        assertFalse(first.at("/tool_calls/0/id").asText().equals(first.at("/tool_calls/1/id").asText()), "distinct ids");
        ObjectNode second = withResults(body, first, "3");
        JsonNode next = post("/v1/chat/completions", second).at("/choices/0/message");
        assertEquals("{\"a\": 3, \"b\": 4}", next.at("/tool_calls/0/function/arguments").asText());
        assertEquals("Seven.", post("/v1/chat/completions", withResults(second, next, "7")).at("/choices/0/message/content").asText());

        server.toolCalls("Just answer");
        assertEquals("stop", post("/v1/chat/completions", request("Just answer.")).at("/choices/0/finish_reason").asText(),
                "no turns: text at once");
        assertThrows(IllegalArgumentException.class, () -> server.toolCalls("x", "{\"a\": 1}"));
    }

    @Test
    void refusesAToolResultThatAnswersNoCallAndSpeaksOllama() throws Exception {
        ObjectNode body = request("Add.");
        ((ArrayNode) body.get("messages")).addObject().put("role", "tool").put("tool_call_id", "call_nobody").put("content", "1");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("tool_call_id call_nobody"), r.body());

        JsonNode ollama = post("/api/chat", request("Add."));
        JsonNode call = ollama.at("/message/tool_calls/0/function");
        assertEquals("add", call.get("name").asText());
        assertTrue(call.get("arguments").isObject(), "Ollama's arguments are an object");
    }
}
