package dev.weft.store;

/**
 * How many records reached a node and how many it dropped (settled {@code filtered} there): the
 * filter and dedup counts of the quality report and the dataset card. Immutable.
 *
 * @param reached records with at least one step at the node
 * @param dropped records filtered at the node
 */
public record NodeDrops(String node, String kind, long reached, long dropped) {}
