package dev.weft.model;

import java.util.Objects;

/**
 * A tool call a model asked for: an id (which the tool's result message refers to), the tool's
 * name, and the arguments exactly as the model wrote them (JSON text, not yet checked). Immutable.
 */
public record ToolCall(String id, String name, String arguments) {
    public ToolCall {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        arguments = arguments == null || arguments.isBlank() ? "{}" : arguments;
    }
}
