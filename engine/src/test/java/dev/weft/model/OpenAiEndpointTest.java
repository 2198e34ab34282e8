package dev.weft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.WeftException;
import dev.weft.testkit.FakeModelServer;
import dev.weft.testkit.FakeModelServer.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenAI provider path (Providers → langchain4j → JdkHttpClient → Failures → Endpoint) against
 * a real HTTP server speaking the OpenAI wire format, with scripted faults.
 */
class OpenAiEndpointTest {
    private static final String KEY_ENV = "WEFT_TEST_OPENAI_KEY";
    private static final String SECRET = "sk-weft-test-SECRET-0123456789";
    private FakeModelServer server;

    @BeforeEach
    void start() {
        server = FakeModelServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private ModelProfile profile(int maxConcurrency, Duration timeout, int maxRetries, Duration retryDelay, String apiKeyEnv) {
        return new ModelProfile("writer", ModelProfile.OPENAI, "gpt-test", server.baseUrl(), apiKeyEnv, 0.5, null, 200, null,
                maxConcurrency, null, null, timeout, maxRetries, retryDelay, 1.0, 2.0, null);
    }

    private Endpoint endpoint(ModelProfile p) {
        return new Endpoint(p, Providers.create(p, Map.of(KEY_ENV, SECRET)));
    }

    /** Five retries, 10 ms base delay, 5 s timeout, concurrency 8. */
    private Endpoint endpoint() {
        return endpoint(profile(8, Duration.ofSeconds(5), 5, Duration.ofMillis(10), null));
    }

    private static ModelRequest ask(String user) {
        return ModelRequest.of(List.of(ChatMessage.system("You are terse."), ChatMessage.user(user)));
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void answerAndTokenUsageComeBack() throws Exception {
        String user = "Name three primary colours.";
        ModelCall call = endpoint().call(ask(user));
        ModelResponse r = call.response();
        assertTrue(r.text().matches("Answer: Name three primary colours\\. #[0-9a-f]{8}"), r.text());
        assertEquals((int) Math.ceil(("You are terse.".length() + user.length()) / 4.0), r.inputTokens());
        assertEquals((int) Math.ceil(r.text().length() / 4.0), r.outputTokens());
        assertEquals("stop", r.finishReason());
        assertEquals(0, call.retries());
        assertEquals(r.inputTokens() / 1000.0 * 1.0 + r.outputTokens() / 1000.0 * 2.0, call.cost(), 1e-12);

        RecordedRequest seen = server.log().get(0);
        assertEquals("gpt-test", seen.model());
        assertEquals(user, seen.lastUserMessage());
        JsonNode body = new ObjectMapper().readTree(seen.body());
        assertEquals(0.5, body.get("temperature").asDouble(), seen.body());
        assertEquals(200, body.has("max_tokens") ? body.get("max_tokens").asInt() : body.path("max_completion_tokens").asInt(), seen.body());
        assertEquals(1, server.requests());
    }

    @Test
    void judgeSchemaAnswerIsJson() throws Exception {
        String schema = "{\"type\":\"object\",\"properties\":{\"score\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10}},"
                + "\"required\":[\"score\"]}";
        ModelResponse r = endpoint().call(ask("Grade it.\n\nAnswer with only a JSON object that matches this JSON Schema:\n" + schema))
                .response();
        assertTrue(r.text().matches("\\{\"score\":([1-9]|10)}"), r.text());
    }

    @Test
    void rateLimitIsRetriedAfterTheServersRetryAfter() throws Exception {
        server.retryAfterSeconds(0.3).failFirst("limited", 2, 429);
        long t0 = System.nanoTime();
        ModelCall call = endpoint().call(ask("a limited question"));
        long elapsed = millisSince(t0);
        assertEquals(2, call.retries());
        assertTrue(call.response().text().startsWith("Answer: a limited question"));
        // Two waits of Retry-After 0.3 s, not the profile's 10 ms retry_delay.
        assertTrue(elapsed >= 550, "waited only " + elapsed + " ms");
        assertEquals(3, server.requests());
        assertEquals(List.of(429, 429, 200), server.log().stream().map(RecordedRequest::status).toList());
        assertTrue(call.latencyMillis() >= 550, "latency counts the waits: " + call.latencyMillis());
    }

    @Test
    void rateLimitGivesUpAfterMaxRetriesKeepingRetryAfter() throws Exception {
        server.retryAfterSeconds(0.01).rate429(1.0);
        Endpoint e = endpoint(profile(8, Duration.ofSeconds(5), 2, Duration.ofMillis(10), null));
        RetriableModelException x = assertThrows(RetriableModelException.class, () -> e.call(ask("hello")));
        assertTrue(x.getMessage().contains("HTTP 429"), x.getMessage());
        assertTrue(x.getMessage().contains("gave up after 3 attempts"), x.getMessage());
        assertEquals(Duration.ofMillis(10), x.retryAfter().orElseThrow());
        assertEquals(3, server.requests());
    }

    @Test
    void serverErrorsAreRetried() throws Exception {
        server.failFirst("wobbly", 3, 500);
        ModelCall call = endpoint().call(ask("a wobbly question"));
        assertEquals(3, call.retries());
        assertEquals(4, server.requests());
        assertEquals(1, server.answered());

        server.failFirst("busy", 1, 503);
        assertEquals(1, endpoint().call(ask("a busy question")).retries());
    }

    @Test
    void malformedBodyIsRetriedAndSucceedsOnceTheServerRecovers() throws Exception {
        server.rateMalformed(1.0);
        Endpoint e = endpoint(profile(8, Duration.ofSeconds(5), 5, Duration.ofMillis(400), null));
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ModelCall> f = pool.submit(() -> e.call(ask("hello")));
            // The first attempt gets a truncated body; heal the server before the retry (>= 200 ms later).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((server.log().isEmpty() || server.log().get(0).status() == -1) && System.nanoTime() < deadline) Thread.sleep(2);
            server.rateMalformed(0);
            ModelCall call = f.get(10, TimeUnit.SECONDS);
            assertEquals(1, call.retries());
            assertTrue(call.response().text().startsWith("Answer: hello"));
        }
        assertEquals(2, server.requests());
        assertEquals(1, server.answered());
    }

    @Test
    void alwaysMalformedFailsAsRetriableSayingMalformed() {
        server.rateMalformed(1.0);
        Endpoint e = endpoint(profile(8, Duration.ofSeconds(5), 2, Duration.ofMillis(10), null));
        RetriableModelException x = assertThrows(RetriableModelException.class, () -> e.call(ask("hello")));
        assertTrue(x.getMessage().contains("malformed"), x.getMessage());
        assertTrue(x.getMessage().contains("gave up after 3 attempts"), x.getMessage());
        assertEquals(3, server.requests());
    }

    @Test
    void timeoutIsRetriableAndRetried() {
        server.rateTimeout(1.0).hangMillis(10_000);
        Endpoint e = endpoint(profile(8, Duration.ofMillis(300), 2, Duration.ofMillis(10), null));
        long t0 = System.nanoTime();
        RetriableModelException x = assertThrows(RetriableModelException.class, () -> e.call(ask("slow")));
        long elapsed = millisSince(t0);
        assertTrue(x.getMessage().contains("timed out"), x.getMessage());
        assertTrue(x.getMessage().contains("gave up after 3 attempts"), x.getMessage());
        assertEquals(3, server.requests());
        assertTrue(elapsed >= 900 && elapsed < 5_000, "three 300 ms timeouts took " + elapsed + " ms");
    }

    @Test
    void badRequestIsNotRetried() {
        server.failFirst("bad", 1, 400);
        NonRetriableModelException x = assertThrows(NonRetriableModelException.class, () -> endpoint().call(ask("a bad request")));
        assertTrue(x.getMessage().contains("HTTP 400"), x.getMessage());
        assertEquals(1, server.requests());
    }

    @Test
    void unauthorizedIsNotRetriedAndPointsAtTheKey() {
        server.failFirst("", 1, 401);
        Endpoint e = endpoint(profile(8, Duration.ofSeconds(5), 5, Duration.ofMillis(10), KEY_ENV));
        NonRetriableModelException x = assertThrows(NonRetriableModelException.class, () -> e.call(ask("hello")));
        assertTrue(x.getMessage().contains("HTTP 401"), x.getMessage());
        assertTrue(x.getMessage().contains("api_key_env"), x.getMessage());
        assertEquals(1, server.requests());
    }

    @Test
    void refusedConnectionSaysTheServerCannotBeReached() {
        Endpoint e = endpoint(profile(8, Duration.ofSeconds(5), 1, Duration.ofMillis(10), null));
        server.close();
        RetriableModelException x = assertThrows(RetriableModelException.class, () -> e.call(ask("anyone there?")));
        assertTrue(x.getMessage().contains("cannot connect"), x.getMessage());
        assertTrue(x.getMessage().contains("gave up after 2 attempts"), x.getMessage());
    }

    @Test
    void droppedConnectionIsRetried() throws Exception {
        server.rateReset(1.0);
        Endpoint e = endpoint(profile(8, Duration.ofSeconds(5), 5, Duration.ofMillis(400), null));
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<ModelCall> f = pool.submit(() -> e.call(ask("hello")));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((server.log().isEmpty() || server.log().get(0).status() == -1) && System.nanoTime() < deadline) Thread.sleep(2);
            server.rateReset(0);
            assertEquals(1, f.get(10, TimeUnit.SECONDS).retries());
        }
        assertEquals(List.of(0, 200), server.log().stream().map(RecordedRequest::status).toList());
    }

    @Test
    void maxConcurrencyBoundsRequestsInFlight() throws Exception {
        server.latency(40).jitter(10);
        Endpoint e = endpoint(profile(4, Duration.ofSeconds(10), 0, Duration.ofMillis(10), null));
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<ModelCall>> calls = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                int n = i;
                calls.add(pool.submit(() -> e.call(ask("question " + n))));
            }
            for (Future<ModelCall> f : calls) assertTrue(f.get(30, TimeUnit.SECONDS).response().text().startsWith("Answer: question "));
        }
        assertEquals(32, server.requests());
        assertTrue(server.maxInFlight() <= 4, "max in flight " + server.maxInFlight());
        assertTrue(server.maxInFlight() >= 2, "the calls did overlap: " + server.maxInFlight());
    }

    @Test
    void apiKeyFromTheEnvironmentIsSentAndNeverShownInErrors() throws Exception {
        Endpoint e = endpoint(profile(8, Duration.ofMillis(300), 1, Duration.ofMillis(10), KEY_ENV));
        e.call(ask("hello"));
        assertEquals("Bearer " + SECRET, server.log().get(0).headers().get("Authorization"));

        List<Throwable> failures = new ArrayList<>();
        server.failFirst("unauthorized", 1, 401).failFirst("rejected", 1, 400).failFirst("broken", 2, 500);
        failures.add(assertThrows(ModelException.class, () -> e.call(ask("unauthorized"))));
        failures.add(assertThrows(ModelException.class, () -> e.call(ask("rejected"))));
        failures.add(assertThrows(ModelException.class, () -> e.call(ask("broken"))));
        server.rateMalformed(1.0);
        failures.add(assertThrows(ModelException.class, () -> e.call(ask("malformed"))));
        server.rateMalformed(0).rateTimeout(1.0);
        failures.add(assertThrows(ModelException.class, () -> e.call(ask("timeout"))));
        server.rateTimeout(0).rateReset(1.0);
        failures.add(assertThrows(ModelException.class, () -> e.call(ask("reset"))));
        server.close();
        failures.add(assertThrows(ModelException.class, () -> e.call(ask("refused"))));

        for (Throwable f : failures) {
            for (Throwable t = f; t != null; t = t.getCause()) {
                assertFalse(String.valueOf(t.getMessage()).contains(SECRET), "key in the message of " + t);
                assertFalse(t.toString().contains(SECRET), "key in " + t);
                for (Throwable s : t.getSuppressed()) assertFalse(String.valueOf(s.getMessage()).contains(SECRET));
            }
        }
        for (RecordedRequest r : server.log()) assertEquals("Bearer " + SECRET, r.headers().get("authorization"));
    }

    @Test
    void noApiKeyEnvSendsAPlaceholderAndAMissingKeyIsExplained() throws Exception {
        endpoint().call(ask("hello"));
        String auth = server.log().get(0).headers().get("Authorization");
        assertNotNull(auth);
        assertFalse(auth.contains(SECRET));

        ModelProfile p = profile(8, Duration.ofSeconds(5), 0, Duration.ofMillis(10), "WEFT_TEST_UNSET_KEY");
        WeftException x = assertThrows(WeftException.class, () -> Providers.create(p, Map.of()));
        assertTrue(x.getMessage().contains("WEFT_TEST_UNSET_KEY"), x.getMessage());
    }
}
