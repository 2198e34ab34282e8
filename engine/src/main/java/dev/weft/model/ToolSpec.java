package dev.weft.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A tool offered to a model: its name, what it does, and the JSON Schema (an object schema) of its
 * arguments. Part of the request, so part of the step cache key. Immutable (the schema must not be
 * changed after construction).
 */
public record ToolSpec(String name, String description, JsonNode parameters) {
    public ToolSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(parameters, "parameters");
    }
}
