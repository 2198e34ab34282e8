package dev.weft.workflow;

import dev.weft.spi.NodeKind;
import java.util.Collection;
import java.util.Collections;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The node kinds on the class path (built-in and plugins), by name. Immutable after creation. */
public final class NodeKinds {
    private final TreeMap<String, NodeKind> kinds = new TreeMap<>();

    private NodeKinds() {}

    public static NodeKinds load(ClassLoader loader) {
        NodeKinds k = new NodeKinds();
        for (NodeKind kind : ServiceLoader.load(NodeKind.class, loader)) {
            NodeKind previous = k.kinds.putIfAbsent(kind.name(), kind);
            if (previous != null && previous.getClass() != kind.getClass()) {
                throw new IllegalStateException("two node kinds are named '" + kind.name() + "': "
                        + previous.getClass().getName() + " and " + kind.getClass().getName());
            }
        }
        return k;
    }

    public static NodeKinds builtIn() {
        return load(NodeKinds.class.getClassLoader());
    }

    public NodeKind get(String name) {
        return kinds.get(name);
    }

    public Collection<NodeKind> all() {
        return Collections.unmodifiableCollection(kinds.values());
    }
}
