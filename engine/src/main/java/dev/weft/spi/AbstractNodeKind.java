package dev.weft.spi;

import dev.weft.yaml.Shape;
import java.util.Objects;

/**
 * A node kind's fixed facts — its name, version, description and keys — given once to the
 * constructor, so that a kind is its {@link #configure} alone. The built-in kinds extend it, and a
 * plugin's may (it needs a public no-argument constructor that calls this one, for
 * {@link java.util.ServiceLoader}). Immutable; thread-safe when the subclass is.
 */
public abstract class AbstractNodeKind implements NodeKind {
    private final String name;
    private final int version;
    private final String description;
    private final Shape.Obj shape;

    /**
     * @param name        the value of {@code kind:} in YAML
     * @param version     1 or more; bump it when a change would alter what the node produces
     * @param description one line for the language reference and the JSON Schema
     * @param shape       the keys this kind takes besides the common ones
     */
    protected AbstractNodeKind(String name, int version, String description, Shape.Obj shape) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("a node kind needs a name");
        if (version < 1) throw new IllegalArgumentException("node kind '" + name + "': version must be 1 or more, not " + version);
        this.name = name;
        this.version = version;
        this.description = Objects.requireNonNull(description, "description");
        this.shape = Objects.requireNonNull(shape, "shape");
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int version() {
        return version;
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final Shape.Obj shape() {
        return shape;
    }
}
