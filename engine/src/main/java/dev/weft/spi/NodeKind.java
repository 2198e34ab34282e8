package dev.weft.spi;

import dev.weft.yaml.Shape;

/**
 * A kind of node ({@code llm}, {@code judge}, ...): its YAML keys and how to build a node from
 * them. Kinds are found with {@link java.util.ServiceLoader}; the built-in ones are registered the
 * same way as a plugin's. Implementations must be stateless and thread-safe.
 */
public interface NodeKind {
    /** The value of {@code kind:} in YAML. */
    String name();

    /** Bump when a change would alter what the node produces: it is part of every cache key. */
    int version();

    /** One line for the language reference and the JSON Schema. */
    String description();

    /** The keys this kind takes besides the common ones (kind, description, cache). */
    Shape.Obj shape();

    /**
     * Builds the node from its (already shape-checked) configuration; reports further problems
     * (unknown model, bad template) to {@link NodeConfig#problems()} and may then return null.
     */
    Node configure(NodeConfig config);
}
