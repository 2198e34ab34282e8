package dev.weft.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What a node asks a model: the fully rendered messages, for structured answers the JSON Schema
 * the answer must satisfy, and the tools the model may call (empty: none). Generation parameters
 * belong to the model profile. Immutable.
 */
public record ModelRequest(List<ChatMessage> messages, JsonNode answerSchema, List<ToolSpec> tools) {
    public ModelRequest {
        if (messages == null || messages.isEmpty()) throw new IllegalArgumentException("a request needs at least one message");
        messages = List.copyOf(messages);
        tools = tools == null ? List.of() : List.copyOf(tools);
    }

    public ModelRequest(List<ChatMessage> messages, JsonNode answerSchema) {
        this(messages, answerSchema, List.of());
    }

    public static ModelRequest of(List<ChatMessage> messages) {
        return new ModelRequest(messages, null, List.of());
    }

    /** A request that offers the model these tools. */
    public static ModelRequest withTools(List<ChatMessage> messages, List<ToolSpec> tools) {
        return new ModelRequest(messages, null, tools);
    }

    /** Rough token count (4 characters a token) for rate limiting before the real count is known. */
    public int estimatedTokens() {
        long chars = 0;
        for (ChatMessage m : messages) {
            chars += m.text().length();
            for (ToolCall c : m.toolCalls()) chars += c.name().length() + c.arguments().length();
        }
        for (ToolSpec t : tools) chars += t.name().length() + t.description().length() + t.parameters().toString().length();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, chars / 4));
    }
}
