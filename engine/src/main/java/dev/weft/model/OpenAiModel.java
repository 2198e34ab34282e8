package dev.weft.model;

import dev.weft.internal.Utf16;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code provider: openai} for the requests of {@code llm} and {@code judge} nodes (text
 * messages, no tools): the chat-completions request written straight into bytes and the answer
 * read from one JSON tree, on the shared {@link JdkHttpClient}. The body is byte for byte the one
 * langchain4j's OpenAI client sends, and failures reach {@link Failures} as the same exceptions,
 * so retries, Retry-After, timeouts and messages are unchanged; it only saves langchain4j's
 * request and response objects, which cost a fifth of a record thread's time per call. Requests
 * that offer tools or carry tool calls go to {@code withTools} (langchain4j). The API key lives
 * only in the Authorization header value. Thread-safe.
 */
final class OpenAiModel implements LanguageModel {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ModelProfile profile;
    private final URI uri;
    private final String authorization;
    private final Duration timeout;
    private final LanguageModel withTools;

    OpenAiModel(ModelProfile profile, String baseUrl, String apiKey, Duration timeout, LanguageModel withTools) {
        this.profile = profile;
        this.uri = URI.create((baseUrl.endsWith("/") ? baseUrl : baseUrl + "/") + "chat/completions");
        this.authorization = "Bearer " + apiKey;
        this.timeout = timeout;
        this.withTools = withTools;
    }

    @Override
    public ModelResponse generate(ModelRequest request) {
        if (!plain(request)) return withTools.generate(request);
        HttpRequest http = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Authorization", authorization)
                .header("Content-Type", "application/json")
                .header("User-Agent", "weft")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(request)))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = JdkHttpClient.SHARED.send(http, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the model server", e);
        }
        // Decoded as a string first: invalid UTF-8 becomes U+FFFD, as it always did, instead of failing the parse.
        String text = new String(response.body(), StandardCharsets.UTF_8);
        if (response.statusCode() / 100 != 2) {
            throw new HttpStatusException(response.statusCode(), text, JdkHttpClient.retryAfter(response.headers().map()));
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return answer(root, request);
    }

    /** Text messages only and no tools: what this class writes itself. */
    private static boolean plain(ModelRequest request) {
        if (!request.tools().isEmpty()) return false;
        for (ChatMessage m : request.messages()) {
            if (m.role() == ChatMessage.Role.TOOL || !m.toolCalls().isEmpty()) return false;
        }
        return true;
    }

    /**
     * The request as langchain4j's OpenAI client writes it: these fields in this order, nulls left
     * out, pretty-printed, written as a string and then encoded (so a character outside the BMP is
     * its UTF-8 bytes, not a JSON escape).
     */
    byte[] body(ModelRequest request) {
        StringWriter out = new StringWriter(512);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            g.writeStartObject();
            g.writeStringField("model", profile.model());
            g.writeArrayFieldStart("messages");
            for (ChatMessage m : request.messages()) {
                // langchain4j refuses a blank system message before sending anything
                if (m.role() == ChatMessage.Role.SYSTEM && m.text().isBlank()) throw new IllegalArgumentException("text cannot be null or blank");
                g.writeStartObject();
                g.writeStringField("role", m.role().name().toLowerCase(java.util.Locale.ROOT));
                g.writeStringField("content", m.text());
                g.writeEndObject();
            }
            g.writeEndArray();
            if (profile.temperature() != null) g.writeNumberField("temperature", profile.temperature());
            if (profile.topP() != null) g.writeNumberField("top_p", profile.topP());
            g.writeBooleanField("stream", false);
            if (profile.maxTokens() != null) g.writeNumberField("max_tokens", profile.maxTokens());
            if (profile.seed() != null) g.writeNumberField("seed", profile.seed());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The answer, read as langchain4j reads it (see {@code Langchain4jModel}). */
    private ModelResponse answer(JsonNode root, ModelRequest request) {
        JsonNode choice = root.path("choices").path(0);
        JsonNode message = choice.path("message");
        if (!message.isObject()) throw malformed("it has no choices[0].message");
        JsonNode content = message.path("content");
        if (!content.isMissingNode() && !content.isNull() && !content.isTextual()) throw malformed("choices[0].message.content is not a string");
        String text = content.isTextual() ? Utf16.wellFormed(content.asText()) : "";
        JsonNode usage = root.path("usage");
        JsonNode prompt = usage.path("prompt_tokens");
        JsonNode completion = usage.path("completion_tokens");
        int in = prompt.isNumber() ? prompt.asInt() : request.estimatedTokens();
        int out = completion.isNumber() ? completion.asInt() : Math.max(1, text.length() / 4);
        List<ToolCall> calls = new ArrayList<>();
        JsonNode asked = message.path("tool_calls");
        if (asked.isArray() && !asked.isEmpty()) {
            for (int i = 0; i < asked.size(); i++) calls.add(call(asked.get(i).path("id"), asked.get(i).path("function"), i));
        } else if (message.path("function_call").isObject()) {
            calls.add(call(null, message.path("function_call"), 0));
        }
        return new ModelResponse(text, in, out, finishReason(choice.path("finish_reason")), calls);
    }

    private static ToolCall call(JsonNode id, JsonNode function, int index) {
        String i = id == null || !id.isTextual() || id.asText().isBlank() ? "call_" + index : id.asText();
        String name = function.path("name").isTextual() ? function.path("name").asText() : "";
        String arguments = function.path("arguments").isTextual() ? Utf16.wellFormed(function.path("arguments").asText()) : "{}";
        return new ToolCall(i, name, arguments);
    }

    /** OpenAI's finish reason under the name langchain4j gives it ("tool_calls" is "tool_execution"); unknown ones are null. */
    private static String finishReason(JsonNode reason) {
        if (!reason.isTextual()) return null;
        return switch (reason.asText()) {
            case "stop" -> "stop";
            case "length" -> "length";
            case "tool_calls", "function_call" -> "tool_execution";
            case "content_filter" -> "content_filter";
            default -> null;
        };
    }

    private RetriableModelException malformed(String what) {
        return new RetriableModelException("model '" + profile.name() + "': malformed response from the model server: " + what, null, null);
    }
}
