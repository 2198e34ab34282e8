package dev.weft.model;

import java.util.Objects;

/** A model's answer with its token usage. Immutable. */
public record ModelResponse(String text, int inputTokens, int outputTokens, String finishReason) {
    public ModelResponse {
        Objects.requireNonNull(text, "text");
        if (inputTokens < 0 || outputTokens < 0) throw new IllegalArgumentException("token counts cannot be negative");
    }
}
