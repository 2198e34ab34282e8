package dev.weft.spi;

/**
 * Where a record stands in a run's order: by its source position, then, for a child of an
 * explode, by its child path (a parent before its children, children in index order, a child's
 * own children right after it). Immutable.
 *
 * @param seq  the source record's position (0-based)
 * @param path the child path as the store keeps it: empty for a source record, else one
 *             {@code /NNNNNN} (six digits) per level, so that it sorts as text in record order
 */
public record RecordOrder(long seq, String path) implements Comparable<RecordOrder> {
    @Override
    public int compareTo(RecordOrder o) {
        int c = Long.compare(seq, o.seq);
        return c != 0 ? c : path.compareTo(o.path);
    }
}
