package dev.weft.store;

/** The end of one record's journey through a run. */
public enum RecordStatus {
    DONE, FAILED, FILTERED;

    public String label() {
        return name().toLowerCase();
    }

    public static RecordStatus parse(String s) {
        return valueOf(s.toUpperCase());
    }
}
