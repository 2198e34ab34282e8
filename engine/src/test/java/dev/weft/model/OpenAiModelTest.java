package dev.weft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.weft.testkit.FakeModelServer;
import dev.weft.testkit.FakeModelServer.RecordedRequest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Weft's own OpenAI client against langchain4j's, on a real server: the same request bodies byte
 * for byte (so the same answers), the same responses and the same failures; requests with tools
 * still go through langchain4j. The fault handling itself is {@link OpenAiEndpointTest}'s.
 */
class OpenAiModelTest {
    private FakeModelServer server;

    @BeforeEach
    void start() {
        server = FakeModelServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private ModelProfile profile(Double temperature, Double topP, Integer maxTokens, Integer seed) {
        return new ModelProfile("writer", ModelProfile.OPENAI, "gpt-test", server.baseUrl(), null, temperature, topP, maxTokens, seed,
                8, null, null, Duration.ofSeconds(5), 0, Duration.ofMillis(10), 0, 0, null);
    }

    private static List<ModelRequest> requests() {
        List<ModelRequest> out = new ArrayList<>();
        out.add(ModelRequest.of(List.of(ChatMessage.user("hi"))));
        out.add(ModelRequest.of(List.of(ChatMessage.system("You are \"terse\" é 🙂 </script> \\ \u0001 \t"), ChatMessage.user("Name three\n colours."))));
        out.add(ModelRequest.of(List.of(ChatMessage.system("Debate."), ChatMessage.user("Open."), ChatMessage.assistant("I say yes."),
                ChatMessage.user("Why?"), ChatMessage.assistant("Because."), ChatMessage.user("Grade it.\n\nAnswer with only a JSON object "
                        + "that matches this JSON Schema:\n{\"type\":\"object\",\"properties\":{\"score\":{\"type\":\"integer\"}},\"required\":[\"score\"]}"))));
        out.add(ModelRequest.of(List.of(ChatMessage.user("x".repeat(100_000)))));
        return out;
    }

    @Test
    void sendsWhatLangchain4jSendsAndReadsTheSameAnswer() throws Exception {
        List<ModelProfile> profiles = List.of(profile(null, null, null, null), profile(0.7, 0.9, 200, 7), profile(0.0, 1.0, 1, 0),
                profile(1.25, null, 4096, null), profile(1e-3, 0.1 + 0.2, null, -5));
        for (ModelProfile p : profiles) {
            LanguageModel ours = Providers.create(p, Map.of());
            LanguageModel theirs = Providers.langchain4jOpenAi(p, p.baseUrl(), "not-needed", Duration.ofSeconds(5));
            for (ModelRequest r : requests()) {
                server.resetCounters();
                int before = server.log().size();
                ModelResponse a = ours.generate(r);
                ModelResponse b = theirs.generate(r);
                List<RecordedRequest> seen = server.log().subList(before, before + 2);
                assertEquals(seen.get(1).body(), seen.get(0).body(), "profile " + p);
                assertEquals(b, a, "profile " + p);
                assertEquals("weft", seen.get(0).headers().get("User-Agent"));
                assertEquals(seen.get(1).headers().get("Authorization"), seen.get(0).headers().get("Authorization"));
            }
        }
    }

    @Test
    void blankMessagesFareAsWithLangchain4j() {
        ModelProfile p = profile(0.5, null, 100, null);
        LanguageModel ours = Providers.create(p, Map.of());
        LanguageModel theirs = Providers.langchain4jOpenAi(p, p.baseUrl(), "not-needed", Duration.ofSeconds(5));
        for (ModelRequest r : List.of(ModelRequest.of(List.of(ChatMessage.user(""))), ModelRequest.of(List.of(ChatMessage.system(" "), ChatMessage.user("q"))),
                ModelRequest.of(List.of(ChatMessage.system(""), ChatMessage.user("q"))), ModelRequest.of(List.of(ChatMessage.user(" \n"))),
                ModelRequest.of(List.of(ChatMessage.user("q"), ChatMessage.assistant(""), ChatMessage.user("again"))),
                ModelRequest.of(List.of(ChatMessage.user("q"), ChatMessage.assistant(" "), ChatMessage.user(""))))) {
            assertEquals(outcome(() -> theirs.generate(r)), outcome(() -> ours.generate(r)), r.toString());
        }
    }

    @Test
    void requestsWithToolsStillGoThroughLangchain4j() throws Exception {
        server.toolCalls("use tools", "search {\"q\":\"x\"}");
        LanguageModel ours = Providers.create(profile(0.5, null, 100, null), Map.of());
        ToolSpec search = new ToolSpec("search", "Searches", new ObjectMapper().readTree("{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}"));
        ModelResponse r = ours.generate(ModelRequest.withTools(List.of(ChatMessage.user("use tools")), List.of(search)));
        assertEquals("search", r.toolCalls().get(0).name());
        assertEquals("tool_execution", r.finishReason());
        assertEquals("langchain4j-openai", server.log().get(0).headers().get("User-Agent"));
    }

    @Test
    void anAnswerWithoutAMessageIsMalformedAndRetriable() throws Exception {
        HttpServer odd = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        List<String> bodies = List.of("{}", "{\"choices\":[]}", "[1,2]", "{\"choices\":[{\"message\":{\"content\":[\"parts\"]}}]}");
        int[] next = {0};
        odd.createContext("/v1/chat/completions", ex -> {
            byte[] b = bodies.get(next[0]++ % bodies.size()).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        odd.start();
        try {
            ModelProfile p = new ModelProfile("writer", ModelProfile.OPENAI, "gpt-test", "http://127.0.0.1:" + odd.getAddress().getPort() + "/v1",
                    null, null, null, null, null, 8, null, null, Duration.ofSeconds(5), 0, Duration.ofMillis(10), 0, 0, null);
            Endpoint e = new Endpoint(p, Providers.create(p, Map.of()));
            for (int i = 0; i < bodies.size(); i++) {
                RetriableModelException x = assertThrows(RetriableModelException.class, () -> e.call(ModelRequest.of(List.of(ChatMessage.user("q")))));
                assertTrue(x.getMessage().startsWith("model 'writer': malformed response from the model server: "), x.getMessage());
            }
        } finally {
            odd.stop(0);
        }
    }

    private interface Call {
        ModelResponse call();
    }

    /** The answer, or the failure as Endpoint would report it. */
    private static String outcome(Call c) {
        try {
            return c.call().toString();
        } catch (RuntimeException e) {
            ModelException m = Failures.classify("writer", e);
            return m.getClass().getSimpleName() + ": " + m.getMessage();
        }
    }
}
