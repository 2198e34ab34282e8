package dev.weft.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Child paths of records: how the store keys the records an explode makes below their source
 * record. The stored form is empty for a source record and one {@code /NNNNNN} (six digits) per
 * level for a child ({@code /000000/000002} is the third child of the first child), so that
 * sorting by (seq, path) as text is record order: a parent before its children, children in
 * index order. The shown form is {@code /0/2}. Stateless.
 */
public final class RecordPath {
    /** The most children one record may have: indexes must fit the six digits. */
    public static final int MAX_CHILDREN = 100_000;
    public static final String ROOT = "";

    private RecordPath() {}

    public static String child(String parent, int index) {
        if (index < 0 || index >= MAX_CHILDREN) throw new IllegalArgumentException("child index " + index);
        return parent + "/" + String.format("%06d", index);
    }

    /** The indexes from the source record down: {@code []} for a source record. */
    public static List<Integer> indexes(String path) {
        List<Integer> out = new ArrayList<>();
        if (path.isEmpty()) return out;
        for (String part : path.substring(1).split("/")) out.add(Integer.parseInt(part));
        return out;
    }

    /** The parent's path; null for a source record. */
    public static String parent(String path) {
        return path.isEmpty() ? null : path.substring(0, path.lastIndexOf('/'));
    }

    /** {@code /0/2}; empty for a source record. */
    public static String shown(String path) {
        StringBuilder b = new StringBuilder();
        for (int i : indexes(path)) b.append('/').append(i);
        return b.toString();
    }

    /** The stored form of a shown path ({@code /0/2}, or {@code 0/2}); null if it is not one. */
    public static String parse(String shown) {
        if (shown == null) return null;
        String s = shown.startsWith("/") ? shown.substring(1) : shown;
        if (s.isEmpty()) return ROOT;
        StringBuilder b = new StringBuilder();
        for (String part : s.split("/", -1)) {
            if (!part.matches("\\d{1,6}")) return null;
            int i = Integer.parseInt(part);
            if (i >= MAX_CHILDREN) return null;
            b.append(child("", i));
        }
        return b.toString();
    }

    /** The smallest path after every descendant of {@code path} (for range queries: descendants lie in (path, end)). */
    static String descendantsEnd(String path) {
        return path + "0"; // '0' sorts right after '/'
    }
}
