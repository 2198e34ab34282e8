package dev.weft.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What a node asks a model: the fully rendered messages and, for structured answers, the JSON
 * Schema the answer must satisfy. Generation parameters belong to the model profile. Immutable.
 */
public record ModelRequest(List<ChatMessage> messages, JsonNode answerSchema) {
    public ModelRequest {
        if (messages == null || messages.isEmpty()) throw new IllegalArgumentException("a request needs at least one message");
        messages = List.copyOf(messages);
    }

    public static ModelRequest of(List<ChatMessage> messages) {
        return new ModelRequest(messages, null);
    }

    /** Rough token count (4 characters a token) for rate limiting before the real count is known. */
    public int estimatedTokens() {
        int chars = 0;
        for (ChatMessage m : messages) chars += m.text().length();
        return Math.max(1, chars / 4);
    }
}
