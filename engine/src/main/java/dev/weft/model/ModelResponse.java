package dev.weft.model;

import java.util.List;
import java.util.Objects;

/**
 * A model's answer with its token usage: text, and the tool calls it asked for (empty when it
 * offered none or answered in text). Immutable.
 */
public record ModelResponse(String text, int inputTokens, int outputTokens, String finishReason, List<ToolCall> toolCalls) {
    public ModelResponse {
        Objects.requireNonNull(text, "text");
        if (inputTokens < 0 || outputTokens < 0) throw new IllegalArgumentException("token counts cannot be negative");
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public ModelResponse(String text, int inputTokens, int outputTokens, String finishReason) {
        this(text, inputTokens, outputTokens, finishReason, List.of());
    }

    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }
}
