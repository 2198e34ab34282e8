package dev.weft.model;

import java.util.List;
import java.util.Objects;

/**
 * One message of a chat request. Besides system, user and assistant text, an assistant message
 * may carry the tool calls the model asked for, and a {@code TOOL} message carries one tool's
 * result for the call with id {@code toolCallId}. Immutable.
 *
 * @param toolCalls  the calls of an assistant message (empty otherwise)
 * @param toolCallId the call a {@code TOOL} message answers (null otherwise)
 * @param toolName   the tool a {@code TOOL} message comes from (null otherwise)
 */
public record ChatMessage(Role role, String text, List<ToolCall> toolCalls, String toolCallId, String toolName) {
    public enum Role { SYSTEM, USER, ASSISTANT, TOOL }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(text, "text");
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
        if (!toolCalls.isEmpty() && role != Role.ASSISTANT) throw new IllegalArgumentException("only an assistant message carries tool calls");
        if ((role == Role.TOOL) != (toolCallId != null)) throw new IllegalArgumentException("a tool message, and only one, answers a tool call id");
    }

    public ChatMessage(Role role, String text) {
        this(role, text, List.of(), null, null);
    }

    public static ChatMessage system(String text) {
        return new ChatMessage(Role.SYSTEM, text);
    }

    public static ChatMessage user(String text) {
        return new ChatMessage(Role.USER, text);
    }

    public static ChatMessage assistant(String text) {
        return new ChatMessage(Role.ASSISTANT, text);
    }

    /** An assistant turn that asked for tools (its text may be empty). */
    public static ChatMessage assistant(String text, List<ToolCall> toolCalls) {
        return new ChatMessage(Role.ASSISTANT, text, toolCalls, null, null);
    }

    /** A tool's result for one call. */
    public static ChatMessage toolResult(ToolCall call, String result) {
        return new ChatMessage(Role.TOOL, result, List.of(), call.id(), call.name());
    }
}
