package dev.weft.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeModelServerTest {
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

    private static String chatBody(String model, String user) {
        return JSON.createObjectNode().put("model", model).put("temperature", 0.2).put("max_tokens", 100)
                .set("messages", JSON.createArrayNode()
                        .add(JSON.createObjectNode().put("role", "system").put("content", "Be brief."))
                        .add(JSON.createObjectNode().put("role", "user").put("content", user)))
                .toString();
    }

    private HttpResponse<String> post(String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer test-key")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> chat(String user) throws IOException, InterruptedException {
        return post(chatBody("gpt-test", user));
    }

    private static String content(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body()).at("/choices/0/message/content").asText();
    }

    @Test
    void answersInTheOpenAiShape() throws Exception {
        assertTrue(server.baseUrl().matches("http://127\\.0\\.0\\.1:\\d+/v1"), server.baseUrl());
        assertEquals(server.baseUrl(), "http://127.0.0.1:" + server.port() + "/v1");
        String user = "What is the capital of France? Please answer in one word, with no explanation at all, thanks!";
        HttpResponse<String> r = chat(user);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode n = JSON.readTree(r.body());
        assertTrue(n.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("chat.completion", n.get("object").asText());
        assertTrue(n.get("created").isIntegralNumber());
        assertEquals("gpt-test", n.get("model").asText());
        JsonNode choice = n.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.at("/message/role").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
        String text = choice.at("/message/content").asText();
        assertTrue(text.matches("Answer: " + java.util.regex.Pattern.quote(user.substring(0, 80)) + " #[0-9a-f]{8}"), text);
        JsonNode usage = n.get("usage");
        int prompt = (int) Math.ceil(("Be brief.".length() + user.length()) / 4.0);
        assertEquals(prompt, usage.get("prompt_tokens").asInt());
        assertEquals((int) Math.ceil(text.length() / 4.0), usage.get("completion_tokens").asInt());
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(), usage.get("total_tokens").asInt());

        assertEquals(1, server.requests());
        assertEquals(1, server.answered());
        FakeModelServer.RecordedRequest rec = server.log().get(0);
        assertEquals(user, rec.lastUserMessage());
        assertEquals("gpt-test", rec.model());
        assertEquals(200, rec.status());
        assertEquals("Bearer test-key", rec.headers().get("authorization"));
        assertTrue(rec.body().contains("\"messages\""));
        assertTrue(rec.receivedAtMillis() > 0);
    }

    @Test
    void sameBodySameAnswerOtherBodyOtherAnswer() throws Exception {
        String a1 = content(chat("Tell me about owls"));
        String a2 = content(chat("Tell me about owls"));
        String b = content(chat("Tell me about cats"));
        String sameUserOtherModel = content(post(chatBody("other-model", "Tell me about owls")));
        assertEquals(a1, a2);
        assertNotEquals(a1, b);
        assertTrue(a1.startsWith("Answer: Tell me about owls #"));
        assertNotEquals(a1, sameUserOtherModel, "the hash covers the whole body");
    }

    @Test
    void answersAJudgeSchemaWithAMatchingInstance() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"score\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10},"
                + "\"reason\":{\"type\":\"string\"},\"ok\":{\"type\":\"boolean\"},\"p\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
                + "\"label\":{\"enum\":[\"good\",\"bad\",\"ugly\"]}},\"required\":[\"score\",\"reason\",\"ok\",\"p\",\"label\"],"
                + "\"additionalProperties\":false}";
        java.util.Set<Integer> scores = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) {
            String user = "Is answer " + i + " good?\n\nAnswer with only a JSON object that matches this JSON Schema:\n" + schema;
            String text = content(chat(user));
            JsonNode v = JSON.readTree(text);
            assertEquals(5, v.size(), text);
            int score = v.get("score").asInt();
            assertTrue(v.get("score").isIntegralNumber() && score >= 1 && score <= 10, text);
            scores.add(score);
            assertTrue(v.get("reason").isTextual(), text);
            assertTrue(v.get("ok").isBoolean(), text);
            assertTrue(v.get("p").isNumber() && v.get("p").asDouble() >= 0 && v.get("p").asDouble() <= 1, text);
            assertTrue(List.of("good", "bad", "ugly").contains(v.get("label").asText()), text);
            assertEquals(text, content(chat(user)), "deterministic");
        }
        assertTrue(scores.size() > 3, "scores vary with the request: " + scores);
    }

    @Test
    void answersNestedSchemasWithListsWithinTheirLengths() throws Exception {
        // What an llm node's `schema: {questions: "[string] 3..5", pairs: [{q: string}, 2], meta: {level: [easy, hard]}}` sends.
        String schema = "{\"type\":\"object\",\"properties\":{"
                + "\"questions\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":3,\"maxItems\":5},"
                + "\"pairs\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}},"
                + "\"required\":[\"q\"],\"additionalProperties\":false},\"minItems\":2,\"maxItems\":2},"
                + "\"meta\":{\"type\":\"object\",\"properties\":{\"level\":{\"enum\":[\"easy\",\"hard\"]}},\"required\":[\"level\"],"
                + "\"additionalProperties\":false}},\"required\":[\"questions\",\"pairs\",\"meta\"],\"additionalProperties\":false}";
        java.util.Set<Integer> lengths = new java.util.HashSet<>();
        for (int i = 0; i < 30; i++) {
            String text = content(chat("Write set " + i + ".\n\nAnswer with only a JSON object that matches this JSON Schema:\n" + schema));
            JsonNode v = JSON.readTree(text);
            JsonNode q = v.get("questions");
            assertTrue(q.isArray() && q.size() >= 3 && q.size() <= 5, text);
            q.forEach(x -> assertTrue(x.isTextual(), text));
            lengths.add(q.size());
            assertEquals(2, v.get("pairs").size(), text);
            v.get("pairs").forEach(p -> assertTrue(p.get("q").isTextual(), text));
            assertTrue(List.of("easy", "hard").contains(v.at("/meta/level").asText()), text);
        }
        assertEquals(java.util.Set.of(3, 4, 5), lengths, "every allowed length turns up");
    }

    @Test
    void rateLimitsWithRetryAfter() throws Exception {
        server.rate429(1.0).retryAfterSeconds(0.25);
        HttpResponse<String> r = chat("hello");
        assertEquals(429, r.statusCode());
        assertEquals("0.25", r.headers().firstValue("Retry-After").orElseThrow());
        assertEquals("rate_limit_exceeded", JSON.readTree(r.body()).at("/error/code").asText());
        assertFalse(JSON.readTree(r.body()).at("/error/message").asText().isEmpty());
        server.retryAfterSeconds(2);
        assertEquals("2", chat("hello").headers().firstValue("Retry-After").orElseThrow());
        assertEquals(0, server.answered());
        assertEquals(429, server.log().get(0).status());

        server.rate429(0);
        assertEquals(200, chat("hello").statusCode());
    }

    @Test
    void faultsAreRandomPerRequestButReproducible() throws Exception {
        server.rate500(0.5);
        List<Integer> first = new ArrayList<>();
        for (int i = 0; i < 40; i++) first.add(chat("same question").statusCode());
        assertTrue(first.contains(200) && first.contains(500), "the same body both fails and passes: " + first);
        server.seed(42);
        List<Integer> again = new ArrayList<>();
        for (int i = 0; i < 40; i++) again.add(chat("another question " + i).statusCode());
        assertEquals(first, again, "faults follow arrival order, not the body");
    }

    @Test
    void scriptedAnswersWin() throws Exception {
        server.answer("capital of France", "Paris.");
        assertEquals("Paris.", content(chat("What is the capital of France?")));
        assertTrue(content(chat("What is the capital of Spain?")).startsWith("Answer: "));
        server.answer("JSON Schema", "{\"score\": 3, \"reason\": \"scripted\"}");
        assertEquals("{\"score\": 3, \"reason\": \"scripted\"}",
                content(chat("Judge this.\nAnswer with only a JSON object that matches this JSON Schema:\n{\"type\":\"object\"}")));
        server.clearAnswers();
        assertTrue(content(chat("What is the capital of France?")).startsWith("Answer: "));
    }

    @Test
    void failFirstFailsExactlyTheFirstMatchingRequests() throws Exception {
        server.retryAfterSeconds(1.5).failFirst("flaky", 2, 429).failFirst("broken", 1, 500);
        assertEquals(200, chat("steady").statusCode());
        HttpResponse<String> r = chat("a flaky one");
        assertEquals(429, r.statusCode());
        assertEquals("1.5", r.headers().firstValue("Retry-After").orElseThrow());
        assertEquals(429, chat("flaky again").statusCode());
        assertEquals(200, chat("flaky at last").statusCode());
        assertEquals(500, chat("broken").statusCode());
        assertEquals(200, chat("broken").statusCode());
        assertEquals(6, server.requests());
        assertEquals(3, server.answered());
        assertEquals(List.of(200, 429, 429, 200, 500, 200), server.log().stream().map(FakeModelServer.RecordedRequest::status).toList());
    }

    @Test
    void malformedBodiesDoNotParse() throws Exception {
        server.rateMalformed(1.0);
        HttpResponse<String> r = chat("hello");
        assertEquals(200, r.statusCode());
        assertThrows(IOException.class, () -> JSON.readTree(r.body()));
        assertFalse(r.body().isEmpty());
        assertEquals(0, server.answered());
        assertEquals(1, server.requests());
    }

    @Test
    void resetClosesTheConnectionWithoutAnAnswer() throws Exception {
        server.rateReset(1.0);
        assertThrows(IOException.class, () -> chat("hello"));
        assertEquals(1, server.requests());
        assertEquals(0, server.log().get(0).status());
        server.rateReset(0);
        assertEquals(200, chat("hello").statusCode(), "the server keeps serving after a reset");
    }

    @Test
    void timeoutHangsUntilTheClientGivesUp() throws Exception {
        server.rateTimeout(1.0).hangMillis(5_000);
        HttpRequest req = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofMillis(300)).POST(HttpRequest.BodyPublishers.ofString(chatBody("m", "hi"))).build();
        long t0 = System.nanoTime();
        assertThrows(HttpTimeoutException.class, () -> http.send(req, HttpResponse.BodyHandlers.ofString()));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 3_000);
        assertEquals(1, server.inFlight(), "still hanging");
        server.hangMillis(50).rateTimeout(1.0);
        long t1 = System.nanoTime();
        assertEquals(200, chat("short hang").statusCode());
        assertTrue((System.nanoTime() - t1) / 1_000_000 >= 50);
    }

    @Test
    void downAnswers503() throws Exception {
        server.down(true);
        assertEquals(503, chat("hello").statusCode());
        assertEquals(503, chat("hello").statusCode());
        server.down(false);
        assertEquals(200, chat("hello").statusCode());
    }

    @Test
    void rejectsBadRequests() throws Exception {
        assertEquals(400, post("{not json").statusCode());
        assertEquals(400, post("{\"model\":\"m\",\"messages\":[]}").statusCode());
        HttpResponse<String> r = post("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(400, r.statusCode());
        assertEquals("invalid_request_error", JSON.readTree(r.body()).at("/error/type").asText());
    }

    @Test
    void countsConcurrencyAndServesStats() throws Exception {
        server.latency(150).jitter(20);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                int n = i;
                fs.add(pool.submit(() -> chat("question " + n)));
            }
            for (Future<HttpResponse<String>> f : fs) assertEquals(200, f.get().statusCode());
        }
        assertEquals(50, server.requests());
        assertEquals(50, server.answered());
        assertTrue(server.maxInFlight() >= 25 && server.maxInFlight() <= 50, "max in flight " + server.maxInFlight());
        assertEquals(0, server.inFlight());

        HttpResponse<String> s = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/stats")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, s.statusCode());
        @SuppressWarnings("unchecked")
        Map<String, Object> stats = JSON.readValue(s.body(), Map.class);
        assertEquals(50, ((Number) stats.get("requests")).intValue());
        assertEquals(50, ((Number) stats.get("answered")).intValue());
        assertEquals(server.maxInFlight(), ((Number) stats.get("max_in_flight")).intValue());
        assertEquals(0, ((Number) stats.get("in_flight")).intValue());
        assertEquals(50, server.requests(), "/stats is not a chat request");

        server.resetCounters();
        assertEquals(0, server.requests());
        assertEquals(0, server.maxInFlight());
        assertTrue(server.log().isEmpty());
    }

    @Test
    void closeStopsTheServer() throws Exception {
        int port = server.port();
        server.close();
        server.close(); // idempotent
        assertThrows(java.net.ConnectException.class, () -> http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString(chatBody("m", "x"))).build(), HttpResponse.BodyHandlers.ofString()));
    }
}
