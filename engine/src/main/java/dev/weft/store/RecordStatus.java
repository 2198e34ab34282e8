package dev.weft.store;

/**
 * The end of one record's journey through a run. {@code EXPLODED}: the record fanned out into
 * child records at an explode node; its children carry on, and it is counted neither done, failed
 * nor filtered (only its children are).
 */
public enum RecordStatus {
    DONE, FAILED, FILTERED, EXPLODED;

    public String label() {
        return name().toLowerCase();
    }

    public static RecordStatus parse(String s) {
        return valueOf(s.toUpperCase());
    }
}
