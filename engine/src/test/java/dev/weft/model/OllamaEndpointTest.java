package dev.weft.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.FakeModelServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The `ollama` provider against a real HTTP server that speaks Ollama's /api/chat. */
class OllamaEndpointTest {
    private static ModelProfile profile(String baseUrl) {
        return new ModelProfile("local", ModelProfile.OLLAMA, "llama3", baseUrl, null, 0.2, null, 128, 42,
                4, null, null, Duration.ofSeconds(5), 3, Duration.ofMillis(10), 0, 0, null);
    }

    @Test
    void answersAndCountsTokensAndSendsTheGenerationParameters() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            ModelProfile p = profile(server.ollamaBaseUrl());
            Endpoint e = new Endpoint(p, Providers.create(p, Map.of()));
            ModelCall call = e.call(ModelRequest.of(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Name a prime."))));
            assertTrue(call.response().text().startsWith("Answer: Name a prime."), call.response().text());
            assertTrue(call.response().inputTokens() > 0 && call.response().outputTokens() > 0);
            JsonNode body = new ObjectMapper().readTree(server.log().get(0).body());
            assertEquals("llama3", body.get("model").asText());
            assertEquals(0.2, body.at("/options/temperature").asDouble());
            assertEquals(128, body.at("/options/num_predict").asInt());
            assertEquals(42, body.at("/options/seed").asInt());
            assertEquals("system", body.at("/messages/0/role").asText());
        }
    }

    @Test
    void serverErrorsAreRetriedAndAStoppedServerIsReportedAsUnreachable() throws Exception {
        try (FakeModelServer server = FakeModelServer.start()) {
            server.failFirst("flaky", 2, 500);
            ModelProfile p = profile(server.ollamaBaseUrl());
            Endpoint e = new Endpoint(p, Providers.create(p, Map.of()));
            ModelCall call = e.call(ModelRequest.of(List.of(ChatMessage.user("flaky question"))));
            assertEquals(2, call.retries());
            server.close();
            RetriableModelException down = assertThrows(RetriableModelException.class,
                    () -> e.call(ModelRequest.of(List.of(ChatMessage.user("anyone there?")))));
            assertTrue(down.getMessage().contains("cannot connect"), down.getMessage());
        }
    }
}
