package dev.weft.workflow;

import dev.weft.spi.Node;

/**
 * A node of a loaded workflow. Immutable.
 *
 * @param identity canonical JSON of the node's configuration, part of its steps' cache keys
 * @param cache    false when the node asked for fresh answers every time ({@code cache: false})
 */
public record NodeDef(String name, String kind, int kindVersion, Node node, boolean cache, String identity, Location location) {}
